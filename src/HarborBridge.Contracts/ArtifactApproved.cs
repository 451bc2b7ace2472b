namespace HarborBridge.Contracts;

/// <summary>The policy passed the artifact: it should be signed.</summary>
/// <param name="DecisionId">Identity of the stored decision; effects (signing) are idempotent per decision and digest.</param>
/// <param name="ExceptionsUsed">Policy exceptions that waived findings in this decision; null from senders older than this field.</param>
/// <param name="Verdict">What the signature attests: null (pass) for a policy decision, <c>Released</c> for the signature written
/// again after a release from quarantine.</param>
/// <param name="Report">The Harbor report the decision was made from, when it was; null from older senders, for decisions not
/// made from Harbor's report, and for a verdict published again from the stored decision (the signer then reads it from Harbor).</param>
public sealed record ArtifactApproved(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    string PolicyVersion,
    string ReportDigest,
    DateTimeOffset DecidedAt,
    IReadOnlyList<AppliedException>? ExceptionsUsed = null,
    string? Verdict = null,
    DecidedReport? Report = null);
