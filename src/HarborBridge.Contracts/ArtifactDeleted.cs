namespace HarborBridge.Contracts;

/// <summary>Harbor reported that an artifact was deleted (DELETE_ARTIFACT).</summary>
public sealed record ArtifactDeleted(string EventId, ArtifactRef Artifact, string? Tag, string? Operator, DateTimeOffset OccurredAt);
