using System.Globalization;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Persistence;

namespace HarborBridge.Quarantine.Strategies;

/// <summary>
/// <c>prevent-pull</c>: the project's pull check (<c>prevent_vul</c> and <c>severity</c>) blocks the artifact's
/// findings, with the policy's exceptions mirrored into the project's CVE allowlist. The project's settings before the
/// first quarantine in it are kept once and restored when the last artifact that needs them is released.
/// </summary>
internal sealed class PreventPullStrategy(IHarborClient harbor, IQuarantineStore store, TimeProvider time) : IQuarantineStrategy
{
    public string Name => QuarantineStrategies.PreventPull;

    public async Task<AppliedStrategy> ApplyAsync(QuarantineContext context, CancellationToken cancellationToken)
    {
        var a = context.Blocked.Artifact;
        var project = await harbor.GetProjectAsync(a.Project, cancellationToken)
            ?? throw new HarborApiException("get project", 404, [new HarborError("NOT_FOUND", $"project {a.Project} not found")], null);
        var seen = new ProjectSettingsPrior(project.Metadata.GetValueOrDefault(HarborProjectMetadata.PreventVulnerable),
            project.Metadata.GetValueOrDefault(HarborProjectMetadata.Severity), project.CveAllowlist);
        await store.CaptureProjectPriorAsync(a.Project, seen, time.GetUtcNow(), cancellationToken);
        var original = await store.GetProjectPriorAsync(a.Project, cancellationToken) ?? seen;

        var threshold = PullCheckSettings.Threshold(context.Rules.BlockSeverity, context.Blocked.Findings);
        // Another quarantined artifact may need a stricter threshold already: keep the stricter of the two.
        if (seen.PreventVul == "true" && seen.Severity is { } existing && await store.CountAppliedAsync(a.Project, Name, a, cancellationToken) > 0
            && Rank(existing) < Rank(threshold))
        {
            threshold = existing;
        }

        var allowlist = PullCheckSettings.Allowlist(original.Allowlist, context.Exceptions, a.Project, time.GetUtcNow());
        var metadata = new Dictionary<string, string>
        {
            [HarborProjectMetadata.PreventVulnerable] = "true",
            [HarborProjectMetadata.Severity] = threshold,
        };
        await harbor.UpdateProjectAsync(a.Project, new HarborProjectUpdate(metadata, allowlist), cancellationToken);
        var mirrored = allowlist is null ? "" : $", CVE allowlist {allowlist.CveIds.Count} id(s) until {allowlist.ExpiresAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "no expiry"}";
        return new AppliedStrategy(JsonSerializer.Serialize(seen, SqlQuarantineStore.Json),
            $"prevent-pull: project {a.Project} prevent_vul {seen.PreventVul ?? "(unset)"} -> true, severity {seen.Severity ?? "(unset)"} -> {threshold}{mirrored}");
    }

    public async Task<(string Status, string Detail)> UndoAsync(ArtifactRef a, QuarantineStep step, CancellationToken cancellationToken)
    {
        var others = await store.CountAppliedAsync(a.Project, Name, a, cancellationToken);
        if (others > 0)
        {
            return (QuarantineStepStatus.Released, $"prevent-pull: left on in project {a.Project}, {others} other quarantined artifact(s) still need it");
        }

        var prior = await store.GetProjectPriorAsync(a.Project, cancellationToken);
        if (prior is null)
        {
            return (QuarantineStepStatus.Released, $"prevent-pull: project {a.Project} was restored already");
        }

        if (await harbor.GetProjectAsync(a.Project, cancellationToken) is null)
        {
            await store.DeleteProjectPriorAsync(a.Project, cancellationToken);
            return (QuarantineStepStatus.Gone, $"prevent-pull: project {a.Project} no longer exists");
        }

        await RestoreMetadataAsync(a.Project, HarborProjectMetadata.PreventVulnerable, prior.PreventVul, cancellationToken);
        await RestoreMetadataAsync(a.Project, HarborProjectMetadata.Severity, prior.Severity, cancellationToken);
        await harbor.UpdateProjectAsync(a.Project, new HarborProjectUpdate(null, prior.Allowlist ?? new HarborCveAllowlist(0, null, [])), cancellationToken);
        await store.DeleteProjectPriorAsync(a.Project, cancellationToken);
        return (QuarantineStepStatus.Released,
            $"prevent-pull: project {a.Project} restored to prevent_vul {prior.PreventVul ?? "(unset)"}, severity {prior.Severity ?? "(unset)"}, CVE allowlist of {prior.Allowlist?.CveIds.Count ?? 0} id(s)");
    }

    /// <summary>Writes the CVE allowlist of every project where <c>prevent-pull</c> is in force again from
    /// <paramref name="exceptions"/> (exceptions granted, changed or removed since it was applied); a project whose list
    /// is right already is not written. Returns the projects written.</summary>
    public async Task<IReadOnlyList<string>> RefreshAllowlistsAsync(IReadOnlyList<Core.Policy.PolicyExceptionRule> exceptions, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        foreach (var project in await store.ListPriorProjectsAsync(cancellationToken))
        {
            var prior = await store.GetProjectPriorAsync(project, cancellationToken);
            var current = prior is null ? null : await harbor.GetProjectAsync(project, cancellationToken);
            if (prior is null || current is null)
            {
                continue; // released meanwhile, or the project is gone (its release records that)
            }

            // No project-wide exception left to mirror: the list the project had before the quarantine.
            var wanted = PullCheckSettings.Allowlist(prior.Allowlist, exceptions, project, time.GetUtcNow())
                ?? prior.Allowlist ?? new HarborCveAllowlist(0, null, []);
            var have = current.CveAllowlist ?? new HarborCveAllowlist(0, null, []);
            if (have.ExpiresAt == wanted.ExpiresAt && have.CveIds.Order(StringComparer.Ordinal).SequenceEqual(wanted.CveIds.Order(StringComparer.Ordinal)))
            {
                continue;
            }

            await harbor.UpdateProjectAsync(project, new HarborProjectUpdate(null, wanted), cancellationToken);
            if (await store.GetProjectPriorAsync(project, cancellationToken) is null)
            {
                // A release restored the project between the reads above and this write: put its list back again.
                await harbor.UpdateProjectAsync(project, new HarborProjectUpdate(null, prior.Allowlist ?? new HarborCveAllowlist(0, null, [])), cancellationToken);
                continue;
            }

            written.Add(project);
        }

        return written;
    }

    private static int Rank(string severity) => Array.IndexOf(["none", "low", "medium", "high", "critical"], severity);

    private async Task RestoreMetadataAsync(string project, string key, string? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await harbor.DeleteProjectMetadataAsync(project, key, cancellationToken);
        }
        else
        {
            await harbor.SetProjectMetadataAsync(project, key, value, cancellationToken);
        }
    }
}
