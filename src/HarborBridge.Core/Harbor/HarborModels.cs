namespace HarborBridge.Core.Harbor;

/// <summary>Project metadata keys HarborBridge reads or changes. Harbor stores every value as a string.</summary>
public static class HarborProjectMetadata
{
    public const string Public = "public";
    public const string AutoScan = "auto_scan";
    public const string PreventVulnerable = "prevent_vul";
    public const string Severity = "severity";
    public const string EnableContentTrustCosign = "enable_content_trust_cosign";
    public const string ReuseSystemCveAllowlist = "reuse_sys_cve_allowlist";

    public static string FromBool(bool value) => value ? "true" : "false";
}

/// <summary>Harbor's scan report MIME types (the keys of <c>scan_overview</c> and of the vulnerabilities addition).</summary>
public static class HarborReportMimeTypes
{
    public const string Vulnerability11 = "application/vnd.security.vulnerability.report; version=1.1";
    public const string HarborVulnerability10 = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";

    /// <summary>The <c>X-Accept-Vulnerabilities</c> value: Trivy's 1.1 type first, the legacy 1.0 type as fallback.</summary>
    public const string AcceptHeaderValue = Vulnerability11 + ", " + HarborVulnerability10;
}

public sealed record HarborSystemInfo(string? HarborVersion, string? ExternalUrl, bool? NotificationEnabled, bool? ReadOnly);

public sealed record HarborLabel(long Id, string Name, string? Description, string? Color, string Scope, long ProjectId);

/// <summary>A label to create. <paramref name="Scope"/> is <c>g</c> (global) or <c>p</c> (project, needs <paramref name="ProjectId"/>).</summary>
public sealed record NewHarborLabel(string Name, string? Description, string? Color, string Scope, long? ProjectId);

public sealed record HarborAccessory(long Id, string Digest, string Type, string? SubjectDigest, long Size, DateTimeOffset? CreationTime);

/// <summary>One entry of <c>scan_overview</c> (Harbor's NativeReportSummary).</summary>
public sealed record HarborScanOverview(
    string MimeType,
    string? ReportId,
    string ScanStatus,
    string? Severity,
    int? DurationSeconds,
    int? Total,
    int? Fixable,
    IReadOnlyDictionary<string, int> CountsBySeverity,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string? ScannerName,
    string? ScannerVersion);

public sealed record HarborArtifact(
    long Id,
    string Digest,
    string? Type,
    string? ManifestMediaType,
    string? MediaType,
    long Size,
    DateTimeOffset? PushTime,
    IReadOnlyList<string> Tags,
    IReadOnlyList<HarborLabel> Labels,
    IReadOnlyList<HarborAccessory> Accessories,
    IReadOnlyList<HarborScanOverview> ScanOverviews,
    bool Scannable)
{
    /// <summary>For an image index: the digests of its platform manifests (Harbor's <c>references</c>).</summary>
    public IReadOnlyList<string> ChildDigests { get; init; } = [];
}

/// <summary>The vulnerabilities addition: one report under the MIME type Harbor chose. <see cref="Json"/> is the
/// report object as Harbor sent it, for the report readers in Core.</summary>
public sealed record HarborVulnerabilityReport(string MimeType, string Json);

public sealed record HarborCveAllowlist(long? ProjectId, DateTimeOffset? ExpiresAt, IReadOnlyList<string> CveIds);

public sealed record HarborProject(long ProjectId, string Name, IReadOnlyDictionary<string, string> Metadata, HarborCveAllowlist? CveAllowlist);

/// <summary>A project to create, with its metadata (<see cref="HarborProjectMetadata"/> keys, string values).</summary>
public sealed record NewHarborProject(string Name, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A project update: only what is set is sent. The allowlist replaces the whole list.</summary>
public sealed record HarborProjectUpdate(IReadOnlyDictionary<string, string>? Metadata, HarborCveAllowlist? CveAllowlist);

public sealed record HarborRepository(long Id, long ProjectId, string FullName, long ArtifactCount);

/// <summary>One page of a list call. <paramref name="TotalCount"/> is Harbor's <c>X-Total-Count</c>;
/// <paramref name="HasNextPage"/> comes from its <c>Link</c> header.</summary>
public sealed record HarborPage<T>(IReadOnlyList<T> Items, long? TotalCount, bool HasNextPage);

public sealed record HarborWebhookTarget(string Type, string Address, string? AuthHeader, bool SkipCertVerify, string? PayloadFormat);

public sealed record HarborWebhookPolicy(
    long Id,
    string Name,
    string? Description,
    bool Enabled,
    IReadOnlyList<string> EventTypes,
    IReadOnlyList<HarborWebhookTarget> Targets);

/// <summary>What a scan request did: started one, or found one already Pending/Running (Harbor's 409).</summary>
public enum ScanStartResult
{
    Started,
    AlreadyRunning,
}
