using HarborBridge.Harbor;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>Readiness: is Harbor's API reachable? Not configured is reported as degraded, not down,
/// because webhooks are still accepted and recorded.</summary>
internal sealed class HarborHealthCheck(IOptions<HarborOptions> options, IHttpClientFactory httpClients) : IHealthCheck
{
    public const string HttpClientName = "harbor-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var harbor = options.Value;
        if (!harbor.IsConfigured)
        {
            return HealthCheckResult.Degraded("Harbor is not configured (HarborBridge:Harbor:Url); webhooks are accepted and recorded only.");
        }

        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            using var response = await client.GetAsync(new Uri(new Uri(harbor.Url!.TrimEnd('/') + "/"), "api/v2.0/ping"), cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy("Harbor reachable")
                : HealthCheckResult.Unhealthy($"Harbor answered {(int)response.StatusCode} to ping");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Harbor unreachable: {e.GetType().Name}");
        }
    }
}
