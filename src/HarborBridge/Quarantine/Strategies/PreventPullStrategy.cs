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
            project.Metadata.GetValueOrDefault(HarborProjectMetadata.Severity), project.CveAllowlist,
            new ReuseSystemAllowlist(project.Metadata.GetValueOrDefault(HarborProjectMetadata.ReuseSystemCveAllowlist)));
        await store.CaptureProjectPriorAsync(a.Project, seen, time.GetUtcNow(), cancellationToken);
        var original = await store.GetProjectPriorAsync(a.Project, cancellationToken) ?? seen;

        var threshold = PullCheckSettings.Threshold(context.Rules.BlockSeverity, context.Blocked.Findings);
        // Another quarantined artifact may need a stricter threshold already: keep the stricter of the two.
        if (seen.PreventVul == "true" && seen.Severity is { } existing && await store.CountAppliedAsync(a.Project, Name, a, cancellationToken) > 0
            && Rank(existing) < Rank(threshold))
        {
            threshold = existing;
        }

        var system = await SystemAllowlistIfReusedAsync(original, cancellationToken);
        var allowlist = PullCheckSettings.Mirrored(original, system, project.ProjectId, context.Exceptions, a.Project, time.GetUtcNow());
        var metadata = new Dictionary<string, string>
        {
            [HarborProjectMetadata.PreventVulnerable] = "true",
            [HarborProjectMetadata.Severity] = threshold,
        };
        if (allowlist?.Reuse?.Value is { } reuse)
        {
            // Harbor's pull check reads the project's own list only when this is "false" (docs/quarantine.md).
            metadata[HarborProjectMetadata.ReuseSystemCveAllowlist] = reuse;
        }

        await harbor.UpdateProjectAsync(a.Project, new HarborProjectUpdate(metadata, allowlist?.List), cancellationToken);
        var mirrored = allowlist is null ? "" : $", CVE allowlist {allowlist.List.CveIds.Count} id(s) until {allowlist.List.ExpiresAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "no expiry"}"
            + (allowlist.Reuse is null ? "" : $" ({(system is null ? "the project's list" : $"the system list's {system.CveIds.Count} id(s)")} and the policy's exceptions), reuse_sys_cve_allowlist {seen.ReuseSystemAllowlist?.Value ?? "(unset)"} -> {allowlist.Reuse.Value}");
        return new AppliedStrategy(JsonSerializer.Serialize(seen, SqlQuarantineStore.Json),
            $"prevent-pull: project {a.Project} prevent_vul {seen.PreventVul ?? "(unset)"} -> true, severity {seen.Severity ?? "(unset)"} -> {threshold}{mirrored}");
    }

    /// <summary>The system CVE allowlist when the project used it before the quarantine (its list is then the base of
    /// the one HarborBridge writes), otherwise null.</summary>
    private async Task<HarborCveAllowlist?> SystemAllowlistIfReusedAsync(ProjectSettingsPrior prior, CancellationToken cancellationToken) =>
        prior.ReuseSystemAllowlist is { } reuse && PullCheckSettings.ReusesSystemAllowlist(reuse.Value)
            ? await harbor.GetSystemCveAllowlistAsync(cancellationToken)
            : null;

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
        await RestoreAllowlistAsync(a.Project, PullCheckSettings.Restored(prior, 0), cancellationToken);
        await store.DeleteProjectPriorAsync(a.Project, cancellationToken);
        return (QuarantineStepStatus.Released,
            $"prevent-pull: project {a.Project} restored to prevent_vul {prior.PreventVul ?? "(unset)"}, severity {prior.Severity ?? "(unset)"}, CVE allowlist of {prior.Allowlist?.CveIds.Count ?? 0} id(s)"
            + (prior.ReuseSystemAllowlist is { } reuse ? $", reuse_sys_cve_allowlist {reuse.Value ?? "(unset)"}" : ""));
    }

    /// <summary>Puts a project's allowlist settings back: the key first (absent again when it was), then the list.</summary>
    private async Task RestoreAllowlistAsync(string project, PullCheckAllowlist settings, CancellationToken cancellationToken)
    {
        if (settings.Reuse is { } reuse)
        {
            await RestoreMetadataAsync(project, HarborProjectMetadata.ReuseSystemCveAllowlist, reuse.Value, cancellationToken);
        }

        await harbor.UpdateProjectAsync(project, new HarborProjectUpdate(null, settings.List), cancellationToken);
    }

    /// <summary>Writes the CVE allowlist of every project where <c>prevent-pull</c> is in force again from
    /// <paramref name="exceptions"/> (exceptions granted, changed or removed since it was applied); a project whose list
    /// is right already is not written. Returns the projects written.</summary>
    public async Task<IReadOnlyList<string>> RefreshAllowlistsAsync(IReadOnlyList<Core.Policy.PolicyExceptionRule> exceptions, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        HarborCveAllowlist? system = null;
        foreach (var project in await store.ListPriorProjectsAsync(cancellationToken))
        {
            var prior = await store.GetProjectPriorAsync(project, cancellationToken);
            var current = prior is null ? null : await harbor.GetProjectAsync(project, cancellationToken);
            if (prior is null || current is null)
            {
                continue; // released meanwhile, or the project is gone (its release records that)
            }

            if (prior.ReuseSystemAllowlist is { } reuse && PullCheckSettings.ReusesSystemAllowlist(reuse.Value))
            {
                system ??= await harbor.GetSystemCveAllowlistAsync(cancellationToken);
            }

            // No project-wide exception left to mirror: the settings the project had before the quarantine.
            var wanted = PullCheckSettings.Mirrored(prior, system, current.ProjectId, exceptions, project, time.GetUtcNow())
                ?? PullCheckSettings.Restored(prior, current.ProjectId);
            if (wanted.IsIn(current))
            {
                continue;
            }

            await WriteAllowlistAsync(project, wanted, cancellationToken);
            if (await store.GetProjectPriorAsync(project, cancellationToken) is null)
            {
                // A release restored the project between the reads above and this write: put its settings back again.
                await RestoreAllowlistAsync(project, PullCheckSettings.Restored(prior, current.ProjectId), cancellationToken);
                continue;
            }

            written.Add(project);
        }

        return written;
    }

    /// <summary>The policy version, followed by the system CVE allowlist when a project under <c>prevent-pull</c> reused it
    /// before (its list is the base of the one written there, so a change of the system list must reach it too).</summary>
    public async Task<string> AllowlistInputsAsync(string policyVersion, CancellationToken cancellationToken)
    {
        foreach (var project in await store.ListPriorProjectsAsync(cancellationToken))
        {
            if (await store.GetProjectPriorAsync(project, cancellationToken) is { } prior && await SystemAllowlistIfReusedAsync(prior, cancellationToken) is { } system)
            {
                return $"{policyVersion} system:{system.ExpiresAt?.ToUnixTimeSeconds()}:{string.Join(',', system.CveIds.Order(StringComparer.Ordinal))}";
            }
        }

        return policyVersion;
    }

    /// <summary>Writes the allowlist and, with it, <c>reuse_sys_cve_allowlist</c> (deleting the key when it is to be absent).</summary>
    private async Task WriteAllowlistAsync(string project, PullCheckAllowlist settings, CancellationToken cancellationToken)
    {
        if (settings.Reuse is { Value: null })
        {
            await RestoreAllowlistAsync(project, settings, cancellationToken);
            return;
        }

        var metadata = settings.Reuse is { Value: { } value } ? new Dictionary<string, string> { [HarborProjectMetadata.ReuseSystemCveAllowlist] = value } : null;
        await harbor.UpdateProjectAsync(project, new HarborProjectUpdate(metadata, settings.List), cancellationToken);
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
