namespace HarborBridge.Contracts;

/// <summary>Harbor reported a pull (PULL_ARTIFACT) by someone other than the scanner.</summary>
public sealed record ArtifactPulled(string EventId, ArtifactRef Artifact, string? Tag, string? Puller, DateTimeOffset OccurredAt);
