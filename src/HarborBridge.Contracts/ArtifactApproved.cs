namespace HarborBridge.Contracts;

/// <summary>The policy passed the artifact: it should be signed.</summary>
/// <param name="DecisionId">Identity of the stored decision; effects (signing) are idempotent per decision and digest.</param>
public sealed record ArtifactApproved(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string PolicyVersion,
    string ReportDigest,
    DateTimeOffset DecidedAt);
