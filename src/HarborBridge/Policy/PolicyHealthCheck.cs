using HarborBridge.Core.Policy;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HarborBridge.Policy;

/// <summary>Readiness names the policy in force, so an admin sees which file (or the built-in default) and which
/// version decides, the same version the decisions record.</summary>
internal sealed class PolicyHealthCheck(PolicyProvider policies, PolicyReloadGuard? guard = null) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var (source, version) = policies.InForce;
            if (policies.Held is not null && guard?.Held is { } held)
            {
                return Task.FromResult(HealthCheckResult.Degraded(
                    $"policy {source}, version {version}; change held: {held.Source} version {held.PolicyVersion} would newly block {held.NewlyBlocked} " +
                    $"artifact(s), more than HarborBridge:Policy:MaxNewlyBlocked={held.Limit}; accept it with `harborbridge policy apply --accept-impact {held.NewlyBlocked}`",
                    data: new Dictionary<string, object>
                    {
                        ["file"] = source, ["version"] = version, ["heldVersion"] = held.PolicyVersion, ["heldContentHash"] = held.ContentHash,
                        ["heldNewlyBlocked"] = held.NewlyBlocked, ["maxNewlyBlocked"] = held.Limit,
                    }));
            }

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
