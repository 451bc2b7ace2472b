namespace HarborBridge.Core.Webhooks;

/// <summary>
/// A Harbor webhook, normalised from either payload format. Only what HarborBridge acts on is kept;
/// the raw body is never stored or logged.
/// </summary>
/// <param name="EventId">Stable identity used to deduplicate Harbor's retries: the CloudEvents <c>id</c>,
/// or for the Default format the SHA-256 of the body (Harbor resends the same bytes).</param>
/// <param name="RawType">The type as sent (<c>PUSH_ARTIFACT</c> or <c>harbor.artifact.pushed</c>).</param>
public sealed record HarborWebhookEvent(
    string EventId,
    HarborEventType Type,
    string RawType,
    WebhookPayloadFormat Format,
    DateTimeOffset OccurredAt,
    string? Operator,
    WebhookRepository? Repository,
    IReadOnlyList<WebhookResource> Resources,
    string? ScanType,
    string? Details);

/// <param name="Project">Harbor's <c>repository.namespace</c>.</param>
/// <param name="Name">Repository name without the project, e.g. <c>team/api</c>.</param>
public sealed record WebhookRepository(string Project, string Name, string? FullName, string? Visibility);

/// <param name="Tag">For push/pull/delete the first tag, or the digest when the artifact was addressed
/// by digest (normalised to null here).</param>
public sealed record WebhookResource(string Digest, string? Tag, string? ResourceUrl, ScanOverview? Scan);

/// <summary>The vulnerability summary Harbor puts in <c>scan_overview</c> (one report MIME type).</summary>
public sealed record ScanOverview(
    string MimeType,
    string? ReportId,
    string ScanStatus,
    string? Severity,
    int? Total,
    int? Fixable,
    IReadOnlyDictionary<string, int> CountsBySeverity,
    string? ScannerName,
    string? ScannerVersion);
