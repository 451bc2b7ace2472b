using HarborBridge.Core.Harbor;
using HarborBridge.Harbor;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>Readiness: is Harbor's API reachable? Uses the real client, so the CA file and TLS settings apply.
/// Not configured is reported as degraded, not down, because webhooks are still accepted and recorded.</summary>
internal sealed class HarborHealthCheck(IOptions<HarborOptions> options, IServiceProvider services) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.IsConfigured)
        {
            return HealthCheckResult.Degraded("Harbor is not configured (HarborBridge:Harbor:Url); webhooks are accepted and recorded only.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var harbor = services.GetRequiredService<IHarborClient>();
            return await harbor.PingAsync(timeout.Token)
                ? HealthCheckResult.Healthy("Harbor reachable")
                : HealthCheckResult.Unhealthy("Harbor did not answer ping with 200");
        }
        catch (Exception e) when (e is HarborApiException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Harbor unreachable: {e.GetType().Name}");
        }
    }
}
