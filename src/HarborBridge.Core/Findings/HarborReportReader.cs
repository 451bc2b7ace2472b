using System.Text.Json;

namespace HarborBridge.Core.Findings;

/// <summary>Harbor's vulnerability report: the <c>additions/vulnerabilities</c> map keyed by MIME type
/// (v1.1 and v1.0; <c>{}</c> = no report), or the bare report a scanner adapter returns.</summary>
internal static class HarborReportReader
{
    public const string MimeV11 = "application/vnd.security.vulnerability.report; version=1.1";
    public const string MimeV10 = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";

    public static ScanReport ReadMap(JsonElement root, string digest)
    {
        JsonElement? v11 = null;
        JsonElement? v10 = null;
        var keys = new List<string>();
        foreach (var property in root.EnumerateObject())
        {
            keys.Add(property.Name);
            var mime = NormaliseMime(property.Name);
            if (mime == NormaliseMime(MimeV11))
            {
                v11 = property.Value;
            }
            else if (mime == NormaliseMime(MimeV10))
            {
                v10 = property.Value;
            }
        }

        if (keys.Count == 0)
        {
            return new ScanReport(ReportFormat.HarborV11, false, digest, null, null, null, []);
        }

        // Harbor answers with at most one key; should both appear, the newer format wins.
        var (report, format, key) = v11 is { } a ? (a, ReportFormat.HarborV11, MimeV11)
            : v10 is { } b ? (b, ReportFormat.HarborV10, MimeV10)
            : throw new ReportFormatException(
                $"The Harbor report has no vulnerability report under a known MIME type (found: {string.Join(", ", keys.Select(k => $"\"{k}\""))}).");
        if (report.ValueKind != JsonValueKind.Object)
        {
            throw new ReportFormatException($"The value under \"{key}\" must be an object, not {JsonRead.Describe(report.ValueKind)}.");
        }

        return ReadAdapterReport(report, digest, format, $"[\"{key}\"].");
    }

    public static ScanReport ReadAdapterReport(JsonElement report, string digest, ReportFormat format, string path = "")
    {
        var findings = new List<Finding>();
        JsonRead.Items(report, "vulnerabilities", path, "id", findings, Vulnerability);

        var scanner = JsonRead.Object(report, "scanner"u8) is { } s
            ? string.Join(' ', new[] { JsonRead.String(s, "name"u8), JsonRead.String(s, "version"u8) }.Where(x => !string.IsNullOrEmpty(x)))
            : null;
        var artifact = JsonRead.Object(report, "artifact"u8) is { } art ? JsonRead.String(art, "repository"u8) : null;
        return new ScanReport(format, true, digest, JsonRead.Timestamp(report, "generated_at"u8),
            string.IsNullOrEmpty(scanner) ? null : scanner, artifact, findings);
    }

    private static Finding? Vulnerability(JsonElement item)
    {
        if (JsonRead.String(item, "id"u8) is not { Length: > 0 } id)
        {
            return null;
        }

        var fixedVersions = JsonRead.FixedVersions(JsonRead.String(item, "fix_version"u8));
        var cvss = JsonRead.Cvss(JsonRead.Object(item, "vendor_attributes"u8) is { } vendor ? JsonRead.Object(vendor, "CVSS"u8) : null);
        if (JsonRead.Object(item, "preferred_cvss"u8) is { } preferred &&
            (JsonRead.Number(preferred, "score_v3"u8) is not null || JsonRead.Number(preferred, "score_v2"u8) is not null))
        {
            cvss.Add(new CvssScore("preferred", JsonRead.Number(preferred, "score_v2"u8), JsonRead.Number(preferred, "score_v3"u8), null,
                NullIfEmpty(JsonRead.String(preferred, "vector_v2"u8)), NullIfEmpty(JsonRead.String(preferred, "vector_v3"u8))));
        }

        var digests = JsonRead.Strings(item, "artifact_digests"u8);
        return new Finding(
            FindingClass.Vulnerability,
            id,
            JsonRead.String(item, "package"u8) ?? "",
            null,
            null,
            JsonRead.String(item, "version"u8) ?? "",
            fixedVersions,
            JsonRead.Status(JsonRead.String(item, "status"u8), fixedVersions),
            JsonRead.Severity(item, "severity"u8),
            cvss,
            null,
            JsonRead.Strings(item, "links"u8).FirstOrDefault(),
            digests.Count > 0 ? string.Join(", ", digests) : "");
    }

    private static string NormaliseMime(string mime) =>
        string.Join(';', mime.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
