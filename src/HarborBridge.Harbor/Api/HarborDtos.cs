using System.Text.Json.Serialization;

namespace HarborBridge.Harbor.Api;

// Harbor's JSON shapes (swagger.yaml definitions), only the fields HarborBridge uses. Names are explicit so the
// contract test can hold them against the spec.

internal sealed record ErrorsDto([property: JsonPropertyName("errors")] List<ErrorDto>? Errors);

internal sealed record ErrorDto([property: JsonPropertyName("code")] string? Code, [property: JsonPropertyName("message")] string? Message);

internal sealed record GeneralInfoDto(
    [property: JsonPropertyName("harbor_version")] string? HarborVersion,
    [property: JsonPropertyName("external_url")] string? ExternalUrl,
    [property: JsonPropertyName("notification_enable")] bool? NotificationEnable,
    [property: JsonPropertyName("read_only")] bool? ReadOnly);

internal sealed record LabelDto(
    [property: JsonPropertyName("id")] long? Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("color")] string? Color,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("project_id")] long? ProjectId);

internal sealed record AccessoryDto(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("subject_artifact_digest")] string? SubjectArtifactDigest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("creation_time")] DateTimeOffset? CreationTime);

internal sealed record TagDto([property: JsonPropertyName("name")] string? Name);

internal sealed record ScannerDto(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("vendor")] string? Vendor,
    [property: JsonPropertyName("version")] string? Version);

internal sealed record VulnerabilitySummaryDto(
    [property: JsonPropertyName("total")] int? Total,
    [property: JsonPropertyName("fixable")] int? Fixable,
    [property: JsonPropertyName("summary")] Dictionary<string, int>? Summary);

internal sealed record NativeReportSummaryDto(
    [property: JsonPropertyName("report_id")] string? ReportId,
    [property: JsonPropertyName("scan_status")] string? ScanStatus,
    [property: JsonPropertyName("severity")] string? Severity,
    [property: JsonPropertyName("duration")] int? Duration,
    [property: JsonPropertyName("summary")] VulnerabilitySummaryDto? Summary,
    [property: JsonPropertyName("start_time")] DateTimeOffset? StartTime,
    [property: JsonPropertyName("end_time")] DateTimeOffset? EndTime,
    [property: JsonPropertyName("scanner")] ScannerDto? Scanner);

internal sealed record AdditionLinkDto([property: JsonPropertyName("href")] string? Href);

internal sealed record ArtifactDto(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("media_type")] string? MediaType,
    [property: JsonPropertyName("manifest_media_type")] string? ManifestMediaType,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("push_time")] DateTimeOffset? PushTime,
    [property: JsonPropertyName("tags")] List<TagDto>? Tags,
    [property: JsonPropertyName("labels")] List<LabelDto>? Labels,
    [property: JsonPropertyName("accessories")] List<AccessoryDto>? Accessories,
    [property: JsonPropertyName("scan_overview")] Dictionary<string, NativeReportSummaryDto>? ScanOverview,
    [property: JsonPropertyName("addition_links")] Dictionary<string, AdditionLinkDto>? AdditionLinks)
{
    /// <summary>An index's platform manifests.</summary>
    [JsonPropertyName("references")]
    public List<ReferenceDto>? References { get; init; }
}

internal sealed record ReferenceDto([property: JsonPropertyName("child_digest")] string? ChildDigest);

internal sealed record CveAllowlistItemDto([property: JsonPropertyName("cve_id")] string CveId);

internal sealed record CveAllowlistDto(
    [property: JsonPropertyName("project_id")] long? ProjectId,
    [property: JsonPropertyName("expires_at")] long? ExpiresAt,
    [property: JsonPropertyName("items")] List<CveAllowlistItemDto>? Items);

internal sealed record ProjectDto(
    [property: JsonPropertyName("project_id")] long ProjectId,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata,
    [property: JsonPropertyName("cve_allowlist")] CveAllowlistDto? CveAllowlist);

internal sealed record ProjectReqDto(
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata,
    [property: JsonPropertyName("cve_allowlist")] CveAllowlistDto? CveAllowlist)
{
    /// <summary>Only when creating a project.</summary>
    [JsonPropertyName("project_name")]
    public string? ProjectName { get; init; }
}

internal sealed record RepositoryDto(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("project_id")] long ProjectId,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("artifact_count")] long ArtifactCount);

internal sealed record ScanTypeDto([property: JsonPropertyName("scan_type")] string ScanType);

internal sealed record LabelRefDto([property: JsonPropertyName("id")] long Id);

internal sealed record WebhookTargetDto(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("auth_header")] string? AuthHeader,
    [property: JsonPropertyName("skip_cert_verify")] bool SkipCertVerify,
    [property: JsonPropertyName("payload_format")] string? PayloadFormat);

internal sealed record WebhookPolicyDto(
    [property: JsonPropertyName("id")] long? Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("event_types")] List<string>? EventTypes,
    [property: JsonPropertyName("targets")] List<WebhookTargetDto>? Targets);
