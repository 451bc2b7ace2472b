namespace HarborBridge.Contracts;

/// <summary>Harbor's scan overview for one report MIME type, as carried by SCANNING_COMPLETED.
/// Informational only: verdicts are computed from the report's items, never from this summary.</summary>
public sealed record ScanSummary(
    string MimeType,
    string? ReportId,
    string ScanStatus,
    string? Severity,
    int? Total,
    int? Fixable,
    IReadOnlyDictionary<string, int> CountsBySeverity,
    string? Scanner);
