namespace HarborBridge.Contracts;

/// <summary>Quarantine was undone: everything quarantine changed has been restored.</summary>
/// <param name="Cause">What kind of release: <c>admin</c>, <c>exception</c> or <c>rescan</c>.</param>
public sealed record ArtifactReleased(
    string RequestId,
    ArtifactRef Artifact,
    string Actor,
    string Reason,
    string Cause,
    DateTimeOffset ReleasedAt);
