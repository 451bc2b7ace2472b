namespace HarborBridge.Contracts;

/// <summary>A scan ended without a report: SCANNING_FAILED (<c>Error</c>) or SCANNING_STOPPED (<c>Stopped</c>).</summary>
public sealed record ScanFailed(string EventId, ArtifactRef Artifact, string? Tag, string ScanStatus, string? Operator, DateTimeOffset OccurredAt);
