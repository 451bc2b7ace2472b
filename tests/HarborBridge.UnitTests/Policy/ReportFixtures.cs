using System.Text.Json;

namespace HarborBridge.UnitTests.Policy;

/// <summary>The shared report fixtures and an independent, deliberately simple walk over their raw JSON that the
/// tests use to derive expected values (it shares no code with the readers under test).</summary>
internal static class ReportFixtures
{
    public static readonly string[] TrivyReports =
    [
        "trivy/alpine-310.json.golden", "trivy/alpine-39.json.golden", "trivy/alpine-39-high-critical.json.golden",
        "trivy/centos-6.json.golden", "trivy/centos-7.json.golden", "trivy/centos-7-ignore-unfixed.json.golden",
        "trivy/debian-buster.json.golden", "trivy/fluentd-gems.json.golden", "trivy/npm-with-suppressed.json.golden",
        "trivy/secrets.json.golden", "trivy/sl-micro-rancher5.4.json.golden", "trivy/spring4shell-jre11.json.golden",
        "trivy/all_statuses.json", "trivy/cvssv4_severity_source.json", "trivy/issue_9333.json",
        "trivy/misconfigurations_and_secrets.json", "trivy/scheme_2_no_vuln.json",
    ];

    public static readonly string[] HarborReports =
    [
        "harbor/harbor-trivy-vuln.json", "harbor/harbor-5-vuln.json", "harbor/harbor-0-vuln.json",
        "harbor/sampleReportWithCompleteVulnData.json", "harbor/sampleReportWithMixedSeverity.json",
        "harbor/vulnerabilities_addition.response.json",
    ];

    public static TheoryData<string> AllReports()
    {
        var data = new TheoryData<string>();
        foreach (var file in TrivyReports.Concat(HarborReports))
        {
            data.Add(file);
        }

        return data;
    }

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", "policy", file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(PathOf(file));

    /// <summary>One finding as the raw JSON spells it, normalised by the documented rules only.</summary>
    public sealed record RawItem(string Class, string Id, string Package, string Version, string Severity, string Fixed, string Status, string Target);

    public static List<RawItem> Walk(string file)
    {
        using var doc = JsonDocument.Parse(Bytes(file));
        var root = doc.RootElement;
        var items = new List<RawItem>();
        if (root.TryGetProperty("SchemaVersion", out _))
        {
            if (!root.TryGetProperty("Results", out var results))
            {
                return items;
            }

            foreach (var result in results.EnumerateArray())
            {
                var target = Str(result, "Target");
                foreach (var v in Arr(result, "Vulnerabilities"))
                {
                    items.Add(new RawItem("vulnerability", Str(v, "VulnerabilityID"), Str(v, "PkgName"), Str(v, "InstalledVersion"),
                        Sev(Str(v, "Severity")), Str(v, "FixedVersion"), Status(Str(v, "Status"), Str(v, "FixedVersion")), target));
                }

                foreach (var s in Arr(result, "Secrets"))
                {
                    items.Add(new RawItem("secret", Str(s, "RuleID"), "", "", Sev(Str(s, "Severity")), "", "detected", target));
                }

                foreach (var m in Arr(result, "Misconfigurations"))
                {
                    var status = Str(m, "Status");
                    items.Add(new RawItem("misconfiguration", Str(m, "ID"), "", "", Sev(Str(m, "Severity")), "",
                        status.Length == 0 ? "fail" : status.ToLowerInvariant(), target));
                }
            }

            return items;
        }

        // Harbor: the map keyed by MIME type, or a bare adapter report.
        var report = root.TryGetProperty("vulnerabilities", out _) ? root : root.EnumerateObject().Select(p => p.Value).FirstOrDefault();
        if (report.ValueKind != JsonValueKind.Object)
        {
            return items;
        }

        foreach (var v in Arr(report, "vulnerabilities"))
        {
            items.Add(new RawItem("vulnerability", Str(v, "id"), Str(v, "package"), Str(v, "version"), Sev(Str(v, "severity")),
                Str(v, "fix_version"), Status(Str(v, "status"), Str(v, "fix_version")), ""));
        }

        return items;
    }

    public static int Rank(string severity) => Array.IndexOf(["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"], severity);

    private static string Sev(string raw) => raw.ToUpperInvariant() switch
    {
        "NONE" or "" => "UNKNOWN",
        "NEGLIGIBLE" => "LOW",
        var s and ("LOW" or "MEDIUM" or "HIGH" or "CRITICAL") => s,
        _ => "UNKNOWN",
    };

    private static string Status(string raw, string fix) =>
        raw.Length > 0 ? raw.ToLowerInvariant() : fix.Trim().Length > 0 ? "fixed" : "affected";

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static IEnumerable<JsonElement> Arr(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];
}
