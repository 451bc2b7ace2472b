using HarborBridge.Core.Policy;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HarborBridge.Policy;

/// <summary>Readiness names the policy in force, so an admin sees which file (or the built-in default) and which
/// version decides, the same version the decisions record.</summary>
internal sealed class PolicyHealthCheck(PolicyProvider policies) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var (source, version) = policies.InForce;
            return Task.FromResult(HealthCheckResult.Healthy(
                $"policy {source}, version {version}",
                new Dictionary<string, object> { ["file"] = source, ["version"] = version }));
        }
        catch (PolicyFileException e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{PolicyOptions.SectionName}:File: {e.Message}"));
        }
    }
}
