using HarborBridge.Core.Harbor;

namespace HarborBridge.Harbor.Api;

internal static class HarborMapping
{
    public static HarborLabel ToModel(this LabelDto d) =>
        new(d.Id ?? 0, d.Name ?? "", d.Description, d.Color, d.Scope ?? "", d.ProjectId ?? 0);

    public static HarborAccessory ToModel(this AccessoryDto d) =>
        new(d.Id, d.Digest ?? "", d.Type ?? "", d.SubjectArtifactDigest, d.Size, d.CreationTime);

    public static HarborArtifact ToModel(this ArtifactDto d) => new(
        d.Id,
        d.Digest ?? "",
        d.Type,
        d.ManifestMediaType,
        d.MediaType,
        d.Size,
        d.PushTime,
        d.Tags?.Select(t => t.Name).OfType<string>().ToList() ?? [],
        d.Labels?.Select(ToModel).ToList() ?? [],
        d.Accessories?.Select(ToModel).ToList() ?? [],
        d.ScanOverview?.Select(kv => kv.Value.ToModel(kv.Key)).ToList() ?? [],
        d.AdditionLinks?.ContainsKey("vulnerabilities") == true)
    {
        ChildDigests = d.References?.Select(r => r.ChildDigest).OfType<string>().ToList() ?? [],
    };

    public static HarborScanOverview ToModel(this NativeReportSummaryDto d, string mimeType) => new(
        mimeType,
        d.ReportId,
        d.ScanStatus ?? "",
        string.IsNullOrEmpty(d.Severity) ? null : d.Severity,
        d.Duration,
        d.Summary?.Total,
        d.Summary?.Fixable,
        d.Summary?.Summary ?? new Dictionary<string, int>(),
        d.StartTime,
        d.EndTime,
        d.Scanner?.Name,
        d.Scanner?.Version);

    public static HarborCveAllowlist ToModel(this CveAllowlistDto d) => new(
        d.ProjectId,
        d.ExpiresAt is { } seconds and > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null,
        d.Items?.Select(i => i.CveId).ToList() ?? []);

    public static CveAllowlistDto ToDto(this HarborCveAllowlist m) => new(
        m.ProjectId,
        m.ExpiresAt?.ToUnixTimeSeconds(),
        m.CveIds.Select(id => new CveAllowlistItemDto(id)).ToList());

    public static HarborProject ToModel(this ProjectDto d) =>
        new(d.ProjectId, d.Name ?? "", d.Metadata ?? [], d.CveAllowlist?.ToModel());

    public static HarborRepository ToModel(this RepositoryDto d) => new(d.Id, d.ProjectId, d.Name ?? "", d.ArtifactCount);

    public static HarborWebhookPolicy ToModel(this WebhookPolicyDto d) => new(
        d.Id ?? 0,
        d.Name ?? "",
        d.Description,
        d.Enabled,
        d.EventTypes ?? [],
        d.Targets?.Select(t => new HarborWebhookTarget(t.Type ?? "", t.Address ?? "", t.AuthHeader, t.SkipCertVerify, t.PayloadFormat)).ToList() ?? []);

    /// <summary>Always <c>enabled: true</c> unless the caller turned it off: Harbor stores a policy without
    /// <c>enabled</c> as disabled.</summary>
    public static WebhookPolicyDto ToDto(this HarborWebhookPolicy m) => new(
        null,
        m.Name,
        m.Description,
        m.Enabled,
        m.EventTypes.ToList(),
        m.Targets.Select(t => new WebhookTargetDto(t.Type, t.Address, t.AuthHeader, t.SkipCertVerify, t.PayloadFormat)).ToList());
}
