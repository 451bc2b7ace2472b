using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Scheduling;
using HarborBridge.Policy;
using MassTransit;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>
/// Watches the OpenVEX documents the policy names. When one changes (a statement added, edited or withdrawn) or leaves
/// the policy, every decided artifact that the old or the new version names as an image product is queued for
/// re-evaluation (<see cref="ReevaluateArtifact"/>, the same path as rescans and expired exceptions), so a withdrawn
/// <c>not_affected</c> statement puts the artifact back at risk and a new one can clear it. The versions seen are kept
/// in memory: the first look after a start only records them (the hourly rescan covers what changed while stopped).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class VexChangeJob(
    PolicyProvider policies,
    VexChangeTracker tracker,
    IScheduleStore store,
    IBus bus,
    JobRunLog runs,
    TimeProvider time,
    ILogger<VexChangeJob> logger) : IJob
{
    private const int MaxCandidates = 100_000;
    private static readonly string[] States = [ArtifactStates.Approved, ArtifactStates.Warned, ArtifactStates.AtRisk, ArtifactStates.Quarantined];

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await runs.RecordAsync(context, cancellationToken);
        var (_, inputs) = policies.Snapshot;
        var changes = tracker.Observe(inputs.Vex ?? new Dictionary<string, VexDocument>());
        if (changes.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var candidates = await store.ListInStatesAsync(States, MaxCandidates, cancellationToken);
        foreach (var (before, after) in changes)
        {
            var source = (after ?? before)!.Source;
            var named = candidates.Where(c => (before?.NamesImage(c.Artifact) ?? false) || (after?.NamesImage(c.Artifact) ?? false)).ToList();
            var version = after?.Digest ?? "removed";
            foreach (var candidate in named)
            {
                await bus.Publish(new ReevaluateArtifact($"vex:{version}:{candidate.Artifact}", candidate.Artifact,
                    after is null ? $"VEX document {source} no longer in the policy" : $"VEX document {source} changed", now), cancellationToken);
            }

            logger.LogInformation("VEX document {VexSource} changed ({Before} -> {After}); {Count} artifact(s) queued for re-evaluation",
                source, before?.Digest ?? "none", version, named.Count);
        }
    }
}

/// <summary>The versions of the VEX documents last seen by <see cref="VexChangeJob"/> in this process.</summary>
internal sealed class VexChangeTracker
{
    private readonly Lock _sync = new();
    private Dictionary<string, VexDocument>? _seen;

    /// <summary>Records <paramref name="current"/> and returns each document that changed, appeared or went away since the
    /// last call, as (before, after); nothing on the first call.</summary>
    public IReadOnlyList<(VexDocument? Before, VexDocument? After)> Observe(IReadOnlyDictionary<string, VexDocument> current)
    {
        lock (_sync)
        {
            var previous = _seen;
            _seen = current.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (previous is null)
            {
                return [];
            }

            var changes = new List<(VexDocument?, VexDocument?)>();
            foreach (var (file, document) in current)
            {
                var before = previous.GetValueOrDefault(file);
                if (before?.Digest != document.Digest)
                {
                    changes.Add((before, document));
                }
            }

            changes.AddRange(previous.Where(p => !current.ContainsKey(p.Key)).Select(p => ((VexDocument?)p.Value, (VexDocument?)null)));
            return changes;
        }
    }
}
