namespace HarborBridge.Contracts;

/// <summary>Command: undo the quarantine of an artifact (admin action, granted exception or clean rescan).</summary>
/// <param name="RequestId">Unique per release request; a redelivered command with the same id changes nothing.</param>
/// <param name="Actor">Who asked: an admin's name, <c>exception:&lt;id&gt;</c> or <c>rescan</c>.</param>
/// <param name="Reason">Why, in the requester's words (required).</param>
/// <param name="Cause">What kind of release: <c>admin</c>, <c>exception</c> or <c>rescan</c>.</param>
public sealed record ReleaseArtifact(
    string RequestId,
    ArtifactRef Artifact,
    string Actor,
    string Reason,
    string Cause,
    DateTimeOffset RequestedAt);
