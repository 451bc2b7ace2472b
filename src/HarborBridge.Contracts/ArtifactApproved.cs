namespace HarborBridge.Contracts;

/// <summary>The policy passed the artifact: it should be signed.</summary>
/// <param name="DecisionId">Identity of the stored decision; effects (signing) are idempotent per decision and digest.</param>
/// <param name="ExceptionsUsed">Policy exceptions that waived findings in this decision; null from senders older than this field.</param>
public sealed record ArtifactApproved(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string PolicyVersion,
    string ReportDigest,
    DateTimeOffset DecidedAt,
    IReadOnlyList<AppliedException>? ExceptionsUsed = null);
