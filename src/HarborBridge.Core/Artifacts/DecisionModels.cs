using HarborBridge.Contracts;

namespace HarborBridge.Core.Artifacts;

/// <summary>A stored decision: the verdict and everything needed to explain and audit it.</summary>
/// <param name="Cause">What led to it, e.g. <c>SCANNING_COMPLETED ce:…</c> or <c>scan timeout</c>.</param>
/// <param name="DecisionJson">The full decision (findings, rules, exceptions) as rendered for people and tools.</param>
public sealed record DecisionRecord(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string Verdict,
    bool Enforced,
    string PolicyVersion,
    string ReportDigest,
    string Reason,
    string Cause,
    DateTimeOffset DecidedAt,
    IReadOnlyList<DecidingFinding> Findings,
    string DecisionJson);

/// <summary>One audited change of an artifact's state.</summary>
public sealed record ArtifactTransition(
    string TransitionId,
    ArtifactRef Artifact,
    string? FromState,
    string ToState,
    string Cause,
    string Actor,
    string? DecisionId,
    DateTimeOffset At);

/// <summary>A cause to apply to an artifact through <see cref="ArtifactLifecycle"/>, with what to record when it is allowed.</summary>
/// <param name="TransitionId">Idempotency key of the transition: a redelivered cause with the same id records nothing.</param>
/// <param name="Decision">The decision the cause carries, stored with the transition (its id is idempotent too).</param>
/// <param name="SkipIfUnchanged">Record nothing when the state would stay as it is (e.g. a rescan that changes nothing).</param>
public sealed record LifecycleChange(
    ArtifactRef Artifact,
    LifecycleCause Cause,
    string TransitionId,
    string Reason,
    string Actor,
    DateTimeOffset At,
    DecisionRecord? Decision = null,
    DateTimeOffset? VerdictReportAt = null,
    bool SkipIfUnchanged = false);

/// <summary>What applying a <see cref="LifecycleChange"/> did.</summary>
/// <param name="From">The state the cause met.</param>
/// <param name="Step">The life cycle's answer (the new state, or the refusal and its reason).</param>
/// <param name="Decision">The stored decision: the change's own, or the one stored under the same id before (a redelivery).</param>
/// <param name="Recorded">True when this call wrote the transition (false for a redelivery, a refusal or a skipped no-change).</param>
/// <param name="DecisionInForce">True when <see cref="Decision"/> is the artifact's verdict in force now (so republishing it is safe).</param>
public sealed record LifecycleResult(ArtifactState From, LifecycleStep Step, DecisionRecord? Decision, bool Recorded, bool DecisionInForce)
{
    public bool Refused => !Step.Allowed;
}

/// <summary>Persistence port for scans, decisions and state transitions. Every state write goes through
/// <see cref="ApplyAsync"/>: the rules of <see cref="ArtifactLifecycle"/> decide, and the write compares-and-sets the state
/// it read, so two racing consumers cannot both win.</summary>
public interface IDecisionStore
{
    /// <summary>Applies a cause: reads the artifact's status, asks <see cref="ArtifactLifecycle.Next"/>, and when allowed stores
    /// the decision (if any), the audited transition and the new state in one transaction. A scan request also counts the
    /// attempt. A decision already stored under its id is returned as it is (a redelivery), with whether it is still in force.</summary>
    Task<LifecycleResult> ApplyAsync(LifecycleChange change, CancellationToken cancellationToken);

    /// <summary>True when a scan may be asked for this cause: the artifact is undecided (or unknown) and no scan was recorded
    /// for the cause yet. Asked before calling Harbor, so a request that failed before it was recorded is made again when
    /// its message is retried.</summary>
    Task<bool> CanRequestScanAsync(ArtifactRef artifact, string causeId, CancellationToken cancellationToken);

    /// <summary>The artifact's life-cycle status, or null when HarborBridge has no record of it.</summary>
    Task<ArtifactStatus?> GetStatusAsync(ArtifactRef artifact, CancellationToken cancellationToken);

    Task<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string digest, CancellationToken cancellationToken);

    Task<IReadOnlyList<ArtifactTransition>> GetTransitionsAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Remembers that <paramref name="index"/> is an image index with these platform manifests.</summary>
    Task RecordChildrenAsync(ArtifactRef index, IReadOnlyList<string> childDigests, CancellationToken cancellationToken);

    /// <summary>Image indexes (in the same repository) that list <paramref name="child"/> as a platform manifest.</summary>
    Task<IReadOnlyList<ArtifactRef>> GetParentsAsync(ArtifactRef child, CancellationToken cancellationToken);

    /// <summary>The platform manifests of an image index; empty when it is not one.</summary>
    Task<IReadOnlyList<string>> GetChildrenAsync(ArtifactRef index, CancellationToken cancellationToken);

    /// <summary>Artifacts still Scanning whose scan was requested before <paramref name="requestedBefore"/>, and artifacts held
    /// in ScanFailed with fewer than <paramref name="maxAttempts"/> attempts (the caller applies the back-off).</summary>
    Task<IReadOnlyList<StaleScan>> FindStaleScansAsync(DateTimeOffset requestedBefore, int maxAttempts, int limit, CancellationToken cancellationToken);
}

/// <summary>An artifact the scan-timeout sweep looks at: a scan without result, or a failed scan held for a retry.</summary>
public sealed record StaleScan(ArtifactRef Artifact, ArtifactState State, int Attempts, DateTimeOffset? RequestedAt, DateTimeOffset UpdatedAt);
