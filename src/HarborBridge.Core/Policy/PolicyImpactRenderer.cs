using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HarborBridge.Core.Policy;

/// <summary>Renders a <see cref="PolicyImpact"/> for people (text) and tools (JSON, the API's body).</summary>
public static class PolicyImpactRenderer
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string ToJson(PolicyImpact impact) => JsonSerializer.Serialize(impact, Json);

    public static PolicyImpact? FromJson(string json) => JsonSerializer.Deserialize<PolicyImpact>(json, Json);

    public static string ToText(PolicyImpact impact)
    {
        ArgumentNullException.ThrowIfNull(impact);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Candidate policy {impact.CandidateVersion}, judged against {impact.Judged} decided artifact(s) ")
            .Append(CultureInfo.InvariantCulture, $"on their stored reports ({impact.EvaluatedAt.UtcDateTime:u}); nothing was changed.\n");
        foreach (var scope in impact.Scopes)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{scope.Scope}: {Totals(scope.Count)}\n");
            foreach (var entry in scope.Changes)
            {
                var fixBy = entry.FixBy is { } at ? $", quarantined at its fix-by deadline {at.UtcDateTime:u}" : "";
                text.Append(CultureInfo.InvariantCulture,
                    $"  {Word(entry.Change),-8} {entry.Artifact.Project}/{entry.Artifact.Repository}@{entry.Artifact.Digest}  {entry.From} -> {DecisionRenderer.VerdictWord(entry.Verdict)}{fixBy}\n")
                    .Append(CultureInfo.InvariantCulture, $"           {entry.Reason}\n");
                foreach (var f in entry.Findings.Take(5))
                {
                    text.Append(CultureInfo.InvariantCulture, $"           {f.Id} {f.Severity} {f.Package} {f.Version}: {f.Rule}\n");
                }

                if (entry.Findings.Count > 5)
                {
                    text.Append(CultureInfo.InvariantCulture, $"           … and {entry.Findings.Count - 5} more finding(s)\n");
                }
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"\nTotal: {Totals(impact.Count)}\n");
        foreach (var note in impact.Notes)
        {
            text.Append(CultureInfo.InvariantCulture, $"Note: {note}\n");
        }

        return text.ToString();
    }

    private static string Totals(Func<PreviewChange, int> count) =>
        $"{count(PreviewChange.Blocked)} newly blocked, {count(PreviewChange.Warned)} newly warned, {count(PreviewChange.Released)} released, " +
        $"{count(PreviewChange.Cleared)} cleared, {count(PreviewChange.Unchanged)} unchanged";

    private static string Word(PreviewChange change) => change switch
    {
        PreviewChange.Blocked => "BLOCK",
        PreviewChange.Warned => "WARN",
        PreviewChange.Released => "RELEASE",
        PreviewChange.Cleared => "CLEAR",
        _ => "SAME",
    };
}
