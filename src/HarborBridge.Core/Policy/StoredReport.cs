using System.Text.Json;
using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Policy;

/// <summary>
/// The scan report behind a stored decision, read back from the decision's JSON (<see cref="DecisionRenderer.ToJson"/>),
/// which lists every finding of the report after deduplication. HarborBridge keeps no other copy of reports, so this is
/// what the policy impact preview judges. Two things are not in it: the CVSS scores the decision did not use (only the
/// score and source it used are kept), and the signatures behind <c>require</c> results (kept as their outcome).
/// </summary>
/// <param name="Requirement">The strongest verdict the decision's unmet <c>require</c> entries gave (null when none were
/// unmet or the decision had none).</param>
/// <param name="HadRequirements">True when the stored decision judged <c>require</c> entries.</param>
public sealed record StoredReport(ScanReport Report, Verdict? Requirement, bool HadRequirements)
{
    /// <summary>Reads the report from a decision's JSON; throws <see cref="JsonException"/> when it is not one.</summary>
    public static StoredReport FromDecisionJson(string decisionJson)
    {
        using var document = JsonDocument.Parse(decisionJson);
        var root = document.RootElement;
        var hasReport = !(root.TryGetProperty("reportRule", out var rule) && rule.GetString() is { } text
            && text.StartsWith("no scan report", StringComparison.Ordinal));
        var findings = new List<Finding>();
        if (root.TryGetProperty("findings", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var f in list.EnumerateArray())
            {
                AddFinding(f, findings);
            }
        }

        Verdict? requirement = null;
        var hadRequirements = false;
        if (root.TryGetProperty("requirements", out var requirements) && requirements.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in requirements.EnumerateArray())
            {
                hadRequirements = true;
                if (!r.GetProperty("met").GetBoolean())
                {
                    var verdict = string.Equals(Text(r, "action"), "block", StringComparison.OrdinalIgnoreCase) ? Verdict.Block : Verdict.Warn;
                    requirement = requirement is { } v && v > verdict ? v : verdict;
                }
            }
        }

        var report = new ScanReport(
            Enum.TryParse<ReportFormat>(Text(root, "reportFormat"), true, out var format) ? format : ReportFormat.HarborV11,
            hasReport,
            Text(root, "reportDigest") ?? "",
            root.TryGetProperty("reportCreatedAt", out var created) && created.ValueKind == JsonValueKind.String ? created.GetDateTimeOffset() : null,
            Text(root, "scanner"),
            null,
            findings);
        return new StoredReport(report, requirement, hadRequirements);
    }

    private static void AddFinding(JsonElement f, List<Finding> findings)
    {
        var cvss = new List<CvssScore>();
        if (f.TryGetProperty("cvss", out var score) && score.ValueKind == JsonValueKind.Number && Text(f, "cvssSource") is { } source)
        {
            // Stored as "<source> <version>", e.g. "nvd v3".
            var space = source.LastIndexOf(' ');
            var (name, version) = space < 0 ? (source, "v3") : (source[..space], source[(space + 1)..]);
            var value = score.GetDouble();
            cvss.Add(version switch
            {
                "v2" => new CvssScore(name, value, null, null),
                "v4.0" => new CvssScore(name, null, null, value),
                _ => new CvssScore(name, null, value, null),
            });
        }

        var fixedVersions = f.TryGetProperty("fixedVersions", out var fixes) && fixes.ValueKind == JsonValueKind.Array
            ? fixes.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
            : [];
        var targets = f.TryGetProperty("targets", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
            : [];
        if (targets.Count == 0)
        {
            targets.Add("");
        }

        var findingClass = Enum.TryParse<FindingClass>(Text(f, "class"), true, out var c) ? c : FindingClass.Vulnerability;
        // One finding per target: the evaluator merges them again exactly as it did for the stored decision.
        foreach (var target in targets)
        {
            findings.Add(new Finding(findingClass, Text(f, "id") ?? "", Text(f, "package") ?? "", Text(f, "packageId"), Text(f, "purl"),
                Text(f, "installedVersion") ?? "", fixedVersions, Text(f, "status") ?? (fixedVersions.Count > 0 ? "fixed" : "affected"),
                SeverityNames.FromReport(Text(f, "severity")), cvss, Text(f, "title"), Text(f, "link"), target));
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
