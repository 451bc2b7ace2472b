using System.Globalization;
using System.Text.Json;

namespace HarborBridge.Core.Findings;

/// <summary>Trivy JSON, <c>SchemaVersion: 2</c>: vulnerabilities, secrets and misconfigurations of every result.
/// Every field is optional (Trivy omits empty values); <c>ExperimentalModifiedFindings</c> (findings Trivy
/// itself suppressed) are not findings.</summary>
internal static class TrivyReportReader
{
    public static ScanReport Read(JsonElement root, string digest)
    {
        var schema = root.GetProperty("SchemaVersion");
        if (schema.ValueKind != JsonValueKind.Number || !schema.TryGetInt32(out var version) || version != 2)
        {
            throw new ReportFormatException($"Unsupported Trivy SchemaVersion {schema.GetRawText()}; only 2 is supported.");
        }

        var findings = new List<Finding>();
        var pool = new StringPool();
        if (JsonRead.Array(root, "Results", "") is { } results)
        {
            var index = 0;
            foreach (var result in results)
            {
                var path = $"Results[{index}].";
                if (result.ValueKind != JsonValueKind.Object)
                {
                    throw new ReportFormatException($"Results[{index}] must be an object, not {JsonRead.Describe(result.ValueKind)}.");
                }

                var target = JsonRead.String(result, "Target"u8) ?? "";
                JsonRead.Items(result, "Vulnerabilities", path, "VulnerabilityID", findings, item => Vulnerability(item, target, pool));
                JsonRead.Items(result, "Secrets", path, "RuleID", findings, item => Secret(item, target));
                JsonRead.Items(result, "Misconfigurations", path, "ID", findings, item => Misconfiguration(item, target));
                index++;
            }
        }

        var trivy = JsonRead.Object(root, "Trivy"u8);
        var scanner = trivy is { } t && JsonRead.String(t, "Version"u8) is { } v ? "Trivy " + v : "Trivy";
        return new ScanReport(ReportFormat.TrivyJson, true, digest, JsonRead.Timestamp(root, "CreatedAt"u8), scanner,
            JsonRead.String(root, "ArtifactName"u8), findings);
    }

    // The hot path for large reports: one pass over the properties instead of a lookup per field.
    // Short values that repeat across findings (package names and versions, statuses, CVSS vectors) come from the pool.
    private static Finding? Vulnerability(JsonElement item, string target, StringPool pool)
    {
        string? id = null, pkgId = null, pkgName = null, purl = null, installed = null, fixedText = null, status = null, title = null, url = null;
        var severity = Severity.Unknown;
        JsonElement? cvss = null;
        JsonElement references = default;
        foreach (var property in item.EnumerateObject())
        {
            var name = JsonRead.Name(property);
            var value = property.Value;
            if (name.SequenceEqual("VulnerabilityID"u8)) { id = JsonRead.AsString(value); }
            else if (name.SequenceEqual("PkgName"u8)) { pkgName = pool.Get(value); }
            else if (name.SequenceEqual("PkgID"u8)) { pkgId = pool.Get(value); }
            else if (name.SequenceEqual("PkgIdentifier"u8)) { purl = JsonRead.String(value, "PURL"u8); }
            else if (name.SequenceEqual("InstalledVersion"u8)) { installed = pool.Get(value); }
            else if (name.SequenceEqual("FixedVersion"u8)) { fixedText = pool.Get(value); }
            else if (name.SequenceEqual("Status"u8)) { status = pool.Get(value); }
            else if (name.SequenceEqual("Severity"u8)) { severity = JsonRead.AsSeverity(value); }
            else if (name.SequenceEqual("CVSS"u8)) { cvss = value; }
            else if (name.SequenceEqual("Title"u8)) { title = JsonRead.AsString(value); }
            else if (name.SequenceEqual("PrimaryURL"u8)) { url = JsonRead.AsString(value); }
            else if (name.SequenceEqual("References"u8)) { references = value; }
        }

        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var fixedVersions = pool.FixedVersions(fixedText);
        url ??= JsonRead.AsStrings(references).FirstOrDefault();
        return new Finding(
            FindingClass.Vulnerability,
            id,
            pkgName ?? "",
            NullIfEmpty(pkgId),
            NullIfEmpty(purl),
            installed ?? "",
            fixedVersions,
            JsonRead.Status(status, fixedVersions, pool),
            severity,
            JsonRead.Cvss(cvss, pool),
            title,
            NullIfEmpty(url),
            target);
    }

    private static Finding? Secret(JsonElement item, string target)
    {
        if (JsonRead.String(item, "RuleID"u8) is not { Length: > 0 } id)
        {
            return null;
        }

        var line = JsonRead.Number(item, "StartLine"u8) is { } start ? ":" + ((long)start).ToString(CultureInfo.InvariantCulture) : "";
        return new Finding(FindingClass.Secret, id, "", null, null, "", [], "detected",
            JsonRead.Severity(item, "Severity"u8), [], JsonRead.String(item, "Title"u8), null, target + line);
    }

    private static Finding? Misconfiguration(JsonElement item, string target)
    {
        var id = NullIfEmpty(JsonRead.String(item, "ID"u8)) ?? NullIfEmpty(JsonRead.String(item, "AVDID"u8));
        if (id is null)
        {
            return null;
        }

        var status = JsonRead.String(item, "Status"u8) is { Length: > 0 } s ? s.ToLowerInvariant() : "fail";
        var url = JsonRead.String(item, "PrimaryURL"u8) ?? JsonRead.Strings(item, "References"u8).FirstOrDefault();
        return new Finding(FindingClass.Misconfiguration, id, "", null, null, "", [], status,
            JsonRead.Severity(item, "Severity"u8), [], JsonRead.String(item, "Title"u8), NullIfEmpty(url), target);
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
