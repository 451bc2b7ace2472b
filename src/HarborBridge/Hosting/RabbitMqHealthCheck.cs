using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>Readiness: can RabbitMQ be reached right now? MassTransit's own bus check keeps reporting its
/// last state for a while after the broker goes away; a fresh TCP connect answers at once.</summary>
internal sealed class RabbitMqHealthCheck(IOptions<RabbitMqOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var rabbit = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(rabbit.Host, rabbit.Port, timeout.Token);
            return HealthCheckResult.Healthy($"RabbitMQ {rabbit.Host}:{rabbit.Port} reachable");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"RabbitMQ {rabbit.Host}:{rabbit.Port} unreachable");
        }
    }
}
