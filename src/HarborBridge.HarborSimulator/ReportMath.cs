using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Scan summaries and pull decisions computed from a report's items, as Harbor does.</summary>
internal static class ReportMath
{
    // Harbor's severity codes (src/pkg/scan/vuln/severity.go).
    private static readonly Dictionary<string, int> Codes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["None"] = 0, ["Unknown"] = 0, ["Negligible"] = 1, ["Low"] = 2, ["Medium"] = 3, ["High"] = 4, ["Critical"] = 5,
    };

    private static readonly string[] Names = ["None", "Negligible", "Low", "Medium", "High", "Critical"];

    public static int Code(string? severity) => severity is not null && Codes.TryGetValue(severity, out var code) ? code : 99;

    public static IEnumerable<JsonObject> Items(JsonObject? report) =>
        report?["vulnerabilities"]?.AsArray().OfType<JsonObject>() ?? [];

    public static string Severity(JsonObject? report)
    {
        var items = Items(report).ToList();
        if (items.Count == 0)
        {
            return "None";
        }

        var highest = items.Max(i => Code(i["severity"]?.GetValue<string>()));
        return highest == 99 ? "Unknown" : Names[Math.Min(highest, 5)];
    }

    public static JsonObject Summary(JsonObject? report)
    {
        var items = Items(report).ToList();
        var bySeverity = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var severity = item["severity"]?.GetValue<string>() ?? "Unknown";
            bySeverity[severity] = bySeverity.GetValueOrDefault(severity) + 1;
        }

        var counts = new JsonObject();
        foreach (var (severity, count) in bySeverity)
        {
            counts[severity] = count;
        }

        return new JsonObject
        {
            ["total"] = items.Count,
            ["fixable"] = items.Count(i => !string.IsNullOrEmpty(i["fix_version"]?.GetValue<string>())),
            ["summary"] = counts,
        };
    }

    /// <summary>The highest severity among items not allowlisted, or null when none is left.</summary>
    public static int? HighestNotAllowed(JsonObject? report, IReadOnlyCollection<string> allowlist)
    {
        var codes = Items(report).Where(i => !allowlist.Contains(i["id"]?.GetValue<string>() ?? "")).Select(i => Code(i["severity"]?.GetValue<string>())).ToList();
        return codes.Count == 0 ? null : codes.Max();
    }
}
