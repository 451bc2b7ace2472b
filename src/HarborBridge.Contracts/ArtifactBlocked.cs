namespace HarborBridge.Contracts;

/// <summary>The policy blocked the artifact: it should be quarantined and its team and on-call told.</summary>
/// <param name="Reason">One line saying why (the rule, or a scan failure).</param>
/// <param name="Enforced">False when the policy is in dry-run for this scope: recorded and reported, not quarantined.</param>
public sealed record ArtifactBlocked(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string PolicyVersion,
    string ReportDigest,
    string Reason,
    IReadOnlyList<DecidingFinding> Findings,
    bool Enforced,
    DateTimeOffset DecidedAt);
