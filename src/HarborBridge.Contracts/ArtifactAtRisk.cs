namespace HarborBridge.Contracts;

/// <summary>A rescan found blocking findings in an approved or warned artifact. It stays usable until
/// <paramref name="FixBy"/>; then it is quarantined unless a fix or an exception arrives.</summary>
public sealed record ArtifactAtRisk(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string PolicyVersion,
    string ReportDigest,
    string Reason,
    IReadOnlyList<DecidingFinding> Findings,
    DateTimeOffset FixBy,
    DateTimeOffset DecidedAt);
