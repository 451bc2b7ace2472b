using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Core.Signing;
using HarborBridge.Quarantine.Strategies;
using MassTransit;

namespace HarborBridge.Quarantine;

/// <summary>
/// Releases a quarantined artifact: undoes its strategies in reverse order (each restores exactly the state its step
/// recorded), signs it again, and records the audited transitions Quarantined → Released → Approved through the life
/// cycle. A step Harbor refuses is left for a retry of the release, with an operator alert when a permission is missing.
/// </summary>
internal sealed partial class ReleaseService(
    IHarborClient harbor,
    IEnumerable<IQuarantineStrategy> strategies,
    IArtifactSigner signer,
    IArtifactStore artifacts,
    IQuarantineStore store,
    IDecisionStore decisions,
    QuarantineAlerts alerts,
    Hosting.PipelineMetrics metrics,
    TimeProvider time,
    ILogger<ReleaseService> logger)
{
    private const string Actor = "harborbridge";

    public async Task<ReleaseOutcome> ReleaseAsync(ReleaseArtifact request, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var digest = request.Artifact.Digest;
        var records = await artifacts.FindByDigestAsync(digest, cancellationToken);
        var applied = await store.GetAppliedByDigestAsync(digest, cancellationToken);
        var targets = records.Where(r => r.State == ArtifactStates.Quarantined).Select(r => r.Artifact)
            .Concat(applied.Select(s => s.Artifact)).Distinct()
            .Where(r => string.IsNullOrEmpty(request.Artifact.Project) || r == request.Artifact)
            .ToList();
        if (targets.Count == 0)
        {
            return new ReleaseOutcome(records.Count == 0 ? ReleaseStatus.Unknown : ReleaseStatus.NotQuarantined, [], [], []);
        }

        var restored = new List<string>();
        var left = new List<string>();
        var released = new List<ArtifactRef>();
        foreach (var artifact in targets)
        {
            var (done, remaining) = await ReleaseOneAsync(artifact, applied.Where(s => s.Artifact == artifact).ToList(), request, publisher, cancellationToken);
            restored.AddRange(done.Select(d => $"{artifact}: {d}"));
            left.AddRange(remaining.Select(r => $"{artifact}: {r}"));
            if (remaining.Count == 0)
            {
                released.Add(artifact);
            }
        }

        return new ReleaseOutcome(left.Count == 0 ? ReleaseStatus.Released : ReleaseStatus.Incomplete, released, restored, left);
    }

    private async Task<(List<string> Done, List<string> Left)> ReleaseOneAsync(
        ArtifactRef a, List<QuarantineStep> steps, ReleaseArtifact request, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var left = new List<string>();
        var order = QuarantineStrategies.InApplyOrder(steps.Select(s => s.Strategy)).Reverse().ToList();
        foreach (var strategy in order)
        {
            var step = steps.Single(s => s.Strategy == strategy);
            if (left.Count > 0)
            {
                left.Add($"{strategy} not undone yet");
                continue;
            }

            try
            {
                var (status, detail) = await strategies.Single(s => s.Name == strategy).UndoAsync(a, step, cancellationToken);
                await store.SaveStepAsync(step with { Status = status, Detail = detail, ReleasedAt = time.GetUtcNow() }, cancellationToken);
                done.Add(detail);
            }
            catch (Exception e) when (HarborPermissions.IsForbidden(e))
            {
                left.Add($"{strategy} not undone: Harbor refused ({HarborPermissions.For(e)} is missing)");
                await alerts.ForbiddenAsync(publisher, a, strategy, e, cancellationToken);
            }
            catch (HarborApiException e) when (e.IsTransient || e.StatusCode is 409 or 412 or 500)
            {
                left.Add($"{strategy} not undone: {e.Message}");
            }
        }

        var now = time.GetUtcNow();
        var why = $"{request.Cause} release by {request.Actor}: {request.Reason}";
        if (left.Count > 0)
        {
            await decisions.ApplyAsync(new LifecycleChange(a, new AuditNoteCause(), $"{request.RequestId}:{a}:release-incomplete:{done.Count}",
                $"{why}; restored: {Join(done)}; left (retry the release): {Join(left)}", request.Actor, now), cancellationToken);
            return (done, left);
        }

        var signAgain = signer.IsEnabled && await harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken) is not null;
        if (signAgain)
        {
            done.Add("signing again through the signer (Released → Approved once signed)");
        }

        await decisions.ApplyAsync(new LifecycleChange(a, new ReleaseCause(request.Actor), $"{request.RequestId}:{a}:released",
            $"{why}; restored: {Join(done)}", request.Actor, now), cancellationToken);
        if (signAgain)
        {
            // Signed by the normal signing path (retries, verification, the signing-failed alert): the attestation names the
            // release and the policy/report of the artifact's latest decision; the signer moves it from Released to Approved.
            var latest = (await decisions.GetDecisionsAsync(a.Digest, cancellationToken)).Where(d => d.Artifact == a).MaxBy(d => d.DecidedAt);
            await publisher.Publish(new ArtifactApproved(request.RequestId, a, null, latest?.PolicyVersion ?? "", latest?.ReportDigest ?? "", now, null,
                ArtifactStates.Released), cancellationToken);
        }

        await publisher.Publish(new ArtifactReleased(request.RequestId, a, request.Actor, request.Reason, request.Cause, now), cancellationToken);
        metrics.ArtifactReleased(request.Cause);
        LogReleased(logger, a.Project, a.Repository, a.Digest, request.Actor, request.Cause);
        return (done, left);
    }

    private static string Join(List<string> items) => items.Count == 0 ? "nothing" : string.Join("; ", items);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Project}/{Repository}@{Digest} by {Actor} ({Cause})")]
    private static partial void LogReleased(ILogger logger, string project, string repository, string digest, string actor, string cause);
}

/// <summary>What a release did. <see cref="Left"/> says what could not be undone (the release can be retried).</summary>
internal sealed record ReleaseOutcome(ReleaseStatus Status, IReadOnlyList<ArtifactRef> Released, IReadOnlyList<string> Restored, IReadOnlyList<string> Left);

internal enum ReleaseStatus
{
    /// <summary>HarborBridge has no record of the digest.</summary>
    Unknown,

    /// <summary>Known, but not quarantined: nothing to do.</summary>
    NotQuarantined,

    Released,

    /// <summary>Some steps could not be undone; see <see cref="ReleaseOutcome.Left"/>.</summary>
    Incomplete,
}
