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

/// <summary>Persistence port for scans, decisions and state transitions.</summary>
public interface IDecisionStore
{
    /// <summary>Marks a scan as requested (state Scanning) unless the artifact was already decided; idempotent per cause.
    /// Returns false when nothing changed.</summary>
    Task<bool> MarkScanRequestedAsync(ArtifactRef artifact, string causeId, string actor, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>True when <see cref="MarkScanRequestedAsync"/> would record a scan for this cause: the artifact is not
    /// decided and no scan was recorded for the cause yet. Asked before calling Harbor, so a request that failed before
    /// it was recorded is made again when its message is retried.</summary>
    Task<bool> CanRequestScanAsync(ArtifactRef artifact, string causeId, CancellationToken cancellationToken);

    /// <summary>Stores the decision and moves the artifact to <paramref name="newState"/> in one transaction.
    /// Returns the stored decision: the given one, or the one already stored under the same id (a redelivery).</summary>
    Task<(DecisionRecord Decision, bool Inserted)> RecordDecisionAsync(DecisionRecord decision, string newState, CancellationToken cancellationToken);

    /// <summary>Moves the artifact to a state without a decision (e.g. ScanFailed on hold); idempotent per transition id.</summary>
    Task<bool> RecordTransitionAsync(ArtifactTransition transition, CancellationToken cancellationToken);

    Task<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string digest, CancellationToken cancellationToken);

    Task<IReadOnlyList<ArtifactTransition>> GetTransitionsAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Remembers that <paramref name="index"/> is an image index with these platform manifests.</summary>
    Task RecordChildrenAsync(ArtifactRef index, IReadOnlyList<string> childDigests, CancellationToken cancellationToken);

    /// <summary>Image indexes (in the same repository) that list <paramref name="child"/> as a platform manifest.</summary>
    Task<IReadOnlyList<ArtifactRef>> GetParentsAsync(ArtifactRef child, CancellationToken cancellationToken);

    /// <summary>The platform manifests of an image index; empty when it is not one.</summary>
    Task<IReadOnlyList<string>> GetChildrenAsync(ArtifactRef index, CancellationToken cancellationToken);

    /// <summary>Artifacts still Scanning whose scan was requested before <paramref name="requestedBefore"/>.</summary>
    Task<IReadOnlyList<(ArtifactRef Artifact, int Attempts)>> FindStaleScansAsync(DateTimeOffset requestedBefore, int limit, CancellationToken cancellationToken);
}
