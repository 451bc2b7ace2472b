namespace HarborBridge.Core.Findings;

/// <summary>Severity on Trivy's five-level scale. The order is the ranking: Unknown is the lowest.</summary>
public enum Severity
{
    Unknown = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>What kind of problem a finding is. Vulnerabilities drive decisions; secrets and
/// misconfigurations are reported and can be made blocking by the policy.</summary>
public enum FindingClass
{
    Vulnerability,
    Secret,
    Misconfiguration,
}

/// <summary>CVSS scores one source (nvd, redhat, ghsa, …) gave a vulnerability.</summary>
public readonly record struct CvssScore(
    string Source,
    double? V2Score,
    double? V3Score,
    double? V40Score,
    string? V2Vector = null,
    string? V3Vector = null,
    string? V40Vector = null);

/// <summary>
/// One finding from a scan report, the same shape for Trivy JSON and Harbor reports.
/// For secrets <see cref="Id"/> is the rule id and the package fields are empty; for misconfigurations
/// <see cref="Id"/> is the check id and <see cref="Status"/> is <c>fail</c>, <c>pass</c> or <c>exception</c>.
/// </summary>
/// <param name="PackageId">Trivy <c>PkgID</c> when the report has it (often absent for packages found inside files).</param>
/// <param name="Purl">Package URL, Trivy <c>PkgIdentifier.PURL</c>; Harbor reports have none.</param>
/// <param name="FixedVersions">Versions that fix it, one per release line; empty when there is no fix.</param>
/// <param name="Status">Lower-case status (<c>fixed</c>, <c>affected</c>, <c>will_not_fix</c>, …). Derived from the
/// fixed versions when the report has none: <c>fixed</c> when a fixed version is named, else <c>affected</c>.</param>
/// <param name="Target">Where it was found: the Trivy result target, or the artifact digest(s) for Harbor.</param>
public sealed record Finding(
    FindingClass Class,
    string Id,
    string PackageName,
    string? PackageId,
    string? Purl,
    string InstalledVersion,
    IReadOnlyList<string> FixedVersions,
    string Status,
    Severity Severity,
    IReadOnlyList<CvssScore> Cvss,
    string? Title,
    string? PrimaryUrl,
    string Target)
{
    /// <summary>The report's link for this finding, kept only when it is an absolute http or https URL: reports come
    /// from scanners and registries, and a <c>javascript:</c> or <c>data:</c> link would end up in the dashboard,
    /// e-mails and chat messages.</summary>
    public string? PrimaryUrl { get; init; } = WebUrlOrNull(PrimaryUrl);

    /// <summary>True when the report names at least one version that fixes it.</summary>
    public bool HasFix => FixedVersions.Count > 0;

    /// <summary><paramref name="url"/> when it is an absolute http(s) URL, otherwise null.</summary>
    public static string? WebUrlOrNull(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? url : null;
}

/// <summary>Which input format a report was read from.</summary>
public enum ReportFormat
{
    /// <summary>Trivy JSON, <c>SchemaVersion: 2</c>.</summary>
    TrivyJson,

    /// <summary>Harbor's <c>additions/vulnerabilities</c> map, MIME type <c>…vulnerability.report; version=1.1</c>.</summary>
    HarborV11,

    /// <summary>Harbor's <c>additions/vulnerabilities</c> map, MIME type <c>…vuln.report.harbor+json; version=1.0</c>.</summary>
    HarborV10,

    /// <summary>A bare Harbor vulnerability report as a scanner adapter returns it (no MIME-type map).</summary>
    HarborAdapter,
}

/// <summary>A parsed scan report.</summary>
/// <param name="HasReport">False when Harbor answered <c>{}</c>: the artifact has no (finished) scan.</param>
/// <param name="Digest"><c>sha256:&lt;hex&gt;</c> of the report bytes exactly as read.</param>
/// <param name="CreatedAt">When the scan ran (Trivy <c>CreatedAt</c>, Harbor <c>generated_at</c>), when the report says.</param>
/// <param name="Scanner">Scanner name and version, e.g. <c>Trivy v0.65.0</c>, when the report says.</param>
public sealed record ScanReport(
    ReportFormat Format,
    bool HasReport,
    string Digest,
    DateTimeOffset? CreatedAt,
    string? Scanner,
    string? ArtifactName,
    IReadOnlyList<Finding> Findings);
