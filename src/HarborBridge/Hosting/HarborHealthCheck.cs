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
            if (!await harbor.PingAsync(timeout.Token))
            {
                return HealthCheckResult.Unhealthy($"Harbor at {Address()} did not answer ping with 200");
            }

            // Harbor answers /ping without credentials; the system CVE allowlist needs a signed-in account (any account may
            // read it, and quarantine reads it), so this call proves the robot's credentials.
            _ = await harbor.GetSystemCveAllowlistAsync(timeout.Token);
            // The robot's permissions, webhook policies and scan-on-push of the configured projects (cached for a minute);
            // problems degrade readiness without taking the service out: webhooks are still accepted.
            if (services.GetService<HarborSetupStatus>() is { } setup && await setup.GetAsync(timeout.Token) is { Count: > 0 } problems)
            {
                return HealthCheckResult.Degraded($"Harbor reachable, credentials accepted; {problems.Count} set-up problem(s): " +
                    string.Join(" | ", problems) + " (details: harborbridge harbor check)");
            }

            return HealthCheckResult.Healthy("Harbor reachable, credentials accepted");
        }
        catch (HarborApiException e) when (e.StatusCode is { } status && status is >= 400 and < 500)
        {
            return HealthCheckResult.Unhealthy($"Harbor at {Address()} refused the request: {ConnectionFailures.Cause(e)}");
        }
        catch (Exception e) when (e is HarborApiException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var cause = e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s (timeout)" : ConnectionFailures.Cause(e);
            return HealthCheckResult.Unhealthy($"Harbor at {Address()} unreachable: {cause}");
        }
    }

    /// <summary>The configured URL without any user information, so no secret reaches /readyz.</summary>
    private string Address() =>
        Uri.TryCreate(options.Value.Url, UriKind.Absolute, out var url) ? new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString() : "(invalid URL)";
}
