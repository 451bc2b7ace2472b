namespace HarborBridge.Contracts;

/// <summary>The policy passed the artifact with warnings: it should be signed and its team told what to fix.</summary>
/// <param name="ExceptionsUsed">Policy exceptions that waived findings in this decision; null from senders older than this field.</param>
/// <param name="Report">The Harbor report the decision was made from, as in <see cref="ArtifactApproved.Report"/>.</param>
public sealed record ArtifactWarned(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string PolicyVersion,
    string ReportDigest,
    IReadOnlyList<DecidingFinding> Findings,
    DateTimeOffset DecidedAt,
    IReadOnlyList<AppliedException>? ExceptionsUsed = null,
    DecidedReport? Report = null);
