namespace HarborBridge.Contracts;

/// <summary>Harbor finished a vulnerability scan of one manifest (SCANNING_COMPLETED).</summary>
/// <param name="Summary">The webhook's scan overview; null for scan-all and scheduled scans, whose
/// webhooks carry none, so the report must be fetched through the API.</param>
public sealed record ScanCompleted(string EventId, ArtifactRef Artifact, string? Tag, string? Operator, DateTimeOffset OccurredAt, ScanSummary? Summary);
