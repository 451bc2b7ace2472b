using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;

namespace HarborBridge.Core.Quarantine;

/// <summary>What the <c>prevent-pull</c> strategy writes into a project: Harbor's severity threshold and a CVE
/// allowlist that mirrors the policy's active exceptions, so Harbor and HarborBridge agree on what is blocked.</summary>
public static class PullCheckSettings
{
    /// <summary>Harbor's <c>severity</c> value: the policy's block threshold, lowered to the least severe finding that
    /// blocked this artifact (a CVSS rule can block a Medium finding; Harbor must then block at Medium to hold it).
    /// Harbor has no "unknown" threshold (400), so Unknown becomes <c>none</c> (any finding blocks).</summary>
    public static string Threshold(Severity? blockSeverity, IEnumerable<DecidingFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var blocking = findings.Where(f => f.Outcome == "Block").Select(f => SeverityNames.FromReport(f.Severity)).ToList();
        Severity? lowest = blockSeverity;
        foreach (var severity in blocking)
        {
            lowest = lowest is null || severity < lowest ? severity : lowest;
        }

        return (lowest ?? Severity.Critical) switch
        {
            Severity.Critical => "critical",
            Severity.High => "high",
            Severity.Medium => "medium",
            Severity.Low => "low",
            _ => "none",
        };
    }

    /// <summary>Harbor's reading of a project's <c>reuse_sys_cve_allowlist</c>: an absent key, "true" or "1" (any case)
    /// mean the system CVE allowlist decides pulls, anything else the project's own list (Harbor's
    /// <c>Project.ReuseSysCVEAllowlist</c> and <c>isTrue</c>, src/pkg/project/models/project.go).</summary>
    public static bool ReusesSystemAllowlist(string? value) => value is null || value.ToLowerInvariant() is "true" or "1";

    /// <summary>
    /// What <c>prevent-pull</c> writes so that Harbor's pull check allows the mirrored exceptions: the list Harbor used
    /// for the project before the quarantine (the system list when the project reused it, its own list otherwise) plus
    /// the exceptions (<see cref="Allowlist"/>), written as the project's own list, and <c>reuse_sys_cve_allowlist</c>
    /// "false" so that Harbor reads it. Null when no exception is to be mirrored: then <see cref="Restored"/> applies.
    /// A prior recorded before HarborBridge kept the key (<see cref="ProjectSettingsPrior.ReuseSystemAllowlist"/> null)
    /// keeps the old behaviour: the project's own list, the key left alone.
    /// </summary>
    public static PullCheckAllowlist? Mirrored(ProjectSettingsPrior prior, HarborCveAllowlist? system, long projectId,
        IEnumerable<PolicyExceptionRule> exceptions, string project, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(prior);
        var reused = prior.ReuseSystemAllowlist is { } reuse && ReusesSystemAllowlist(reuse.Value);
        return Allowlist(reused ? system : prior.Allowlist, exceptions, project, now) is { } list
            ? new PullCheckAllowlist(list with { ProjectId = projectId }, prior.ReuseSystemAllowlist is null ? null : new ReuseSystemAllowlist("false"))
            : null;
    }

    /// <summary>The project's allowlist settings as they were before the quarantine.</summary>
    public static PullCheckAllowlist Restored(ProjectSettingsPrior prior, long projectId)
    {
        ArgumentNullException.ThrowIfNull(prior);
        return new PullCheckAllowlist(prior.Allowlist ?? new HarborCveAllowlist(projectId, null, []), prior.ReuseSystemAllowlist);
    }

    /// <summary>
    /// The project allowlist to write: the prior list (unless it had expired, when Harbor ignores it) plus every
    /// policy exception that applies to the whole project, names a CVE and has not expired. Harbor keeps one expiry
    /// per list: the earliest of those that apply (an exception's last day ends at 24:00 UTC). Exceptions scoped to a
    /// repository or digest are left out: Harbor cannot scope them, and allowing them project-wide would let through
    /// what HarborBridge still blocks. Returns null when there is nothing to write (no prior list, no exceptions).
    /// </summary>
    public static HarborCveAllowlist? Allowlist(HarborCveAllowlist? prior, IEnumerable<PolicyExceptionRule> exceptions, string project, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(exceptions);
        var priorLive = prior is not null && (prior.ExpiresAt is null || prior.ExpiresAt > now);
        var ids = new List<string>(priorLive ? prior!.CveIds : []);
        DateTimeOffset? expiry = priorLive ? prior!.ExpiresAt : null;
        var mirrored = exceptions.Where(e => !e.IsExpired(now) && e.Repository is null && e.Digest is null
            && (e.Project is null || e.Project.IsMatch(project))
            && e.Id.StartsWith("CVE-", StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var exception in mirrored)
        {
            var id = exception.Id.ToUpperInvariant();
            if (!ids.Contains(id, StringComparer.Ordinal))
            {
                ids.Add(id);
            }

            if (exception.Expires is { } day)
            {
                var end = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
                expiry = expiry is null || end < expiry ? end : expiry;
            }
        }

        if (mirrored.Count == 0)
        {
            return null;
        }

        return new HarborCveAllowlist(prior?.ProjectId ?? 0, expiry, ids);
    }
}

/// <summary>A project's CVE allowlist and its <c>reuse_sys_cve_allowlist</c> (<paramref name="Reuse"/> null: leave the
/// key as it is; <see cref="ReuseSystemAllowlist.Value"/> null: the key absent).</summary>
public sealed record PullCheckAllowlist(HarborCveAllowlist List, ReuseSystemAllowlist? Reuse)
{
    /// <summary>True when the project's settings read from Harbor are these already (same ids in any order, same expiry,
    /// same key value).</summary>
    public bool IsIn(HarborProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var have = project.CveAllowlist ?? new HarborCveAllowlist(project.ProjectId, null, []);
        return have.ExpiresAt == List.ExpiresAt
            && have.CveIds.Order(StringComparer.Ordinal).SequenceEqual(List.CveIds.Order(StringComparer.Ordinal))
            && (Reuse is null || project.Metadata.GetValueOrDefault(HarborProjectMetadata.ReuseSystemCveAllowlist) == Reuse.Value);
    }
}
