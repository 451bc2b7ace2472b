namespace HarborBridge.Contracts;

/// <summary>Command: the fix-by deadline of an AtRisk artifact has passed. Unless a fix or an exception arrived in
/// the meantime, it is blocked (<see cref="ArtifactBlocked"/>) and so quarantined.</summary>
/// <param name="AtRiskDecisionId">The rescan decision that put the artifact at risk.</param>
public sealed record EnforceAtRiskDeadline(ArtifactRef Artifact, string AtRiskDecisionId, DateTimeOffset FixBy, DateTimeOffset RequestedAt);
