using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Core.Harbor;

namespace HarborBridge.Core.Signing;

/// <summary>The scan behind a decision, as the vulnerability attestation records it.</summary>
/// <param name="ReportJson">The report exactly as Harbor returned it (its SHA-256 is the decision's report digest).</param>
/// <param name="Source">Where the report was read (Harbor's <c>additions/vulnerabilities</c> URL).</param>
public sealed record ScanEvidence(
    string ScannerName,
    string ScannerVendor,
    string ScannerVersion,
    string ReportMimeType,
    string ReportJson,
    string Source,
    DateTimeOffset StartedOn,
    DateTimeOffset FinishedOn)
{
    /// <summary>
    /// The evidence for a decision made from <paramref name="reportDigest"/>, from the report and scan overview Harbor
    /// returns now. Null when Harbor has no report or a different one (rescanned since the decision, or the decision was
    /// not made from Harbor's report): a vulnerability attestation must describe the report the decision was made on.
    /// Scanner name/version come from the report, else from the scan overview; the scan times from the overview, else
    /// the report's <c>generated_at</c>, else the decision time (the scan had finished by then).
    /// </summary>
    public static ScanEvidence? FromHarbor(string reportDigest, HarborVulnerabilityReport? report, HarborScanOverview? overview, string source, DateTimeOffset decidedAt)
    {
        ArgumentNullException.ThrowIfNull(reportDigest);
        if (report is null || !string.Equals(DigestOf(report.Json), reportDigest, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string? name = null, vendor = null, version = null;
        DateTimeOffset? generated = null;
        try
        {
            using var document = JsonDocument.Parse(report.Json);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("scanner", out var scanner) && scanner.ValueKind == JsonValueKind.Object)
            {
                name = StringOf(scanner, "name");
                vendor = StringOf(scanner, "vendor");
                version = StringOf(scanner, "version");
            }

            if (root.ValueKind == JsonValueKind.Object && StringOf(root, "generated_at") is { } at &&
                DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                generated = parsed;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        var finished = overview?.EndTime ?? generated ?? decidedAt;
        var started = overview?.StartTime ?? generated ?? finished;
        return new ScanEvidence(
            name ?? overview?.ScannerName ?? "unknown",
            vendor ?? string.Empty,
            version ?? overview?.ScannerVersion ?? string.Empty,
            report.MimeType,
            report.Json,
            source,
            started,
            finished);
    }

    /// <summary>As the report readers compute it: SHA-256 over the UTF-8 bytes of the report.</summary>
    public static string DigestOf(string reportJson) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reportJson)));

    private static string? StringOf(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
