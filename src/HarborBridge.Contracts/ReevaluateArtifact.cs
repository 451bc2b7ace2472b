namespace HarborBridge.Contracts;

/// <summary>Command: judge an already decided artifact again against Harbor's current report and the policy in force
/// (scheduled rescan, or a policy exception that expired). A now-blocking approved artifact goes AtRisk; a quarantined
/// one that now passes is released.</summary>
/// <param name="RequestId">Unique per request; a redelivered command with the same id changes nothing.</param>
/// <param name="Cause">Why, e.g. <c>rescan</c> or <c>exception CVE-2024-1234 expired</c>.</param>
public sealed record ReevaluateArtifact(string RequestId, ArtifactRef Artifact, string Cause, DateTimeOffset RequestedAt);
