using System.Text.Json;
using HarborBridge.Core.Signing;

namespace HarborBridge.Core.Artifacts;

/// <summary>The VEX statements that took findings out of a stored decision, read back from its
/// <see cref="DecisionRecord.DecisionJson"/> (<c>vexStatements</c>, written by the decision renderer).</summary>
public static class UsedVexStatements
{
    /// <summary>The <c>not_affected</c> and <c>fixed</c> statements, in the order the decision lists them; empty when none.</summary>
    public static IReadOnlyList<VexStatementUsed> FromDecisionJson(string decisionJson)
    {
        ArgumentNullException.ThrowIfNull(decisionJson);
        try
        {
            using var document = JsonDocument.Parse(decisionJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("vexStatements", out var statements) || statements.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return statements.EnumerateArray()
                .Where(s => String(s, "status") is "not_affected" or "fixed" && String(s, "documentId") is not null && String(s, "vulnerability") is not null)
                .Select(s => new VexStatementUsed(String(s, "documentId")!, String(s, "documentDigest") ?? "",
                    s.TryGetProperty("statement", out var i) && i.TryGetInt32(out var index) ? index : -1,
                    String(s, "vulnerability")!, String(s, "status")!, String(s, "justification")))
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
