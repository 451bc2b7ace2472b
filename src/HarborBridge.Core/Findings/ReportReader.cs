using System.Security.Cryptography;
using System.Text.Json;

namespace HarborBridge.Core.Findings;

/// <summary>
/// Reads a scan report in any supported format: Trivy JSON (<c>SchemaVersion: 2</c>), Harbor's
/// <c>additions/vulnerabilities</c> map (v1.1 and v1.0 MIME types; <c>{}</c> = no report), or a bare Harbor
/// adapter report. The format is detected from the content, not from a file name.
/// </summary>
public static class ReportReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowTrailingCommas = true };

    public static ScanReport Read(ReadOnlySpan<byte> bytes) => Read(bytes.ToArray());

    public static ScanReport Read(byte[] bytes)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        ReadOnlyMemory<byte> json = bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsMemory(3) : bytes;
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new ReportFormatException("The report is empty.");
        }

        JsonDocument document;
        try
        {
            // The document only lives inside this method and every value is copied out, so the caller's array is used as is.
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ReportFormatException($"The report is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            var root = document.RootElement;
            return Detect(root) switch
            {
                DetectedFormat.Trivy => TrivyReportReader.Read(root, digest),
                DetectedFormat.HarborMap => HarborReportReader.ReadMap(root, digest),
                DetectedFormat.HarborAdapter => HarborReportReader.ReadAdapterReport(root, digest, ReportFormat.HarborAdapter),
                _ => throw new InvalidOperationException("unreachable"),
            };
        }
    }

    private enum DetectedFormat
    {
        Trivy,
        HarborMap,
        HarborAdapter,
    }

    private static DetectedFormat Detect(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            throw new ReportFormatException(
                "The report is a bare JSON array: that is Trivy output from before SchemaVersion 2 (2021), which is not supported; rescan with a current Trivy.");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ReportFormatException("The report must be a JSON object (a Trivy JSON or Harbor vulnerability report).");
        }

        if (root.TryGetProperty("SchemaVersion", out _))
        {
            return DetectedFormat.Trivy;
        }

        if (root.TryGetProperty("Results", out _) || root.TryGetProperty("ArtifactName", out _))
        {
            throw new ReportFormatException("The report looks like Trivy JSON but has no SchemaVersion; only SchemaVersion 2 is supported.");
        }

        if (root.TryGetProperty("bomFormat", out _))
        {
            throw new ReportFormatException("The report is a CycloneDX SBOM; use Trivy's JSON format (--format json) or Harbor's vulnerability report.");
        }

        if (root.TryGetProperty("runs", out _) && root.TryGetProperty("version", out _))
        {
            throw new ReportFormatException("The report is SARIF; use Trivy's JSON format (--format json) or Harbor's vulnerability report.");
        }

        if (root.TryGetProperty("vulnerabilities", out _))
        {
            return DetectedFormat.HarborAdapter;
        }

        var first = root.EnumerateObject().FirstOrDefault();
        if (first.Value.ValueKind == JsonValueKind.Undefined || first.Name.Contains('/', StringComparison.Ordinal))
        {
            return DetectedFormat.HarborMap;
        }

        throw new ReportFormatException(
            "The report is neither Trivy JSON (no SchemaVersion) nor a Harbor vulnerability report (no MIME-type key, no vulnerabilities).");
    }
}
