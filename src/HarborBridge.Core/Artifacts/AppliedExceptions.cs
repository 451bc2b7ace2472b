using System.Globalization;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Policy;

namespace HarborBridge.Core.Artifacts;

/// <summary>The policy exceptions a stored decision applied, read back from its <see cref="DecisionRecord.DecisionJson"/>
/// (so a republished decision carries the same list as the first publish).</summary>
public static class AppliedExceptions
{
    /// <summary>One entry per exception and waived vulnerability id, ordered by exception id then vulnerability; empty
    /// when the document lists no excepted finding (e.g. an image index's aggregate).</summary>
    public static IReadOnlyList<AppliedException> FromDecisionJson(string decisionJson)
    {
        ArgumentNullException.ThrowIfNull(decisionJson);
        try
        {
            using var document = JsonDocument.Parse(decisionJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var expiries = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
            if (root.TryGetProperty("appliedExceptions", out var applied) && applied.ValueKind == JsonValueKind.Array)
            {
                foreach (var exception in applied.EnumerateArray())
                {
                    if (String(exception, "id") is { } id)
                    {
                        expiries[id] = String(exception, "expires") is { } day &&
                            DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last)
                                ? EndOf(last)
                                : null;
                    }
                }
            }

            return Ordered(findings.EnumerateArray()
                .Where(f => String(f, "outcome") == "excepted" && String(f, "exception") is not null && String(f, "id") is not null)
                .Select(f => new AppliedException(String(f, "exception")!, String(f, "id")!, expiries.GetValueOrDefault(String(f, "exception")!))));
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The list <see cref="FromDecisionJson"/> reads from <c>DecisionRenderer.ToJson(decision)</c>, taken from the decision
    /// itself: the event of a decision just made needs no rendering and parsing of its document.</summary>
    public static IReadOnlyList<AppliedException> FromDecision(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var expiries = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        foreach (var use in decision.AppliedExceptions)
        {
            expiries[use.Exception.Id] = use.Exception.Expires is { } last ? EndOf(last) : null;
        }

        return Ordered(decision.Findings
            .Where(f => f.Outcome == FindingOutcome.Excepted && f.ExceptionId is not null)
            .Select(f => new AppliedException(f.ExceptionId!, f.Finding.Id, expiries.GetValueOrDefault(f.ExceptionId!))));
    }

    // An exception applies through its last day (UTC): it ends at the start of the next.
    private static DateTimeOffset EndOf(DateOnly last) => new(last.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static List<AppliedException> Ordered(IEnumerable<AppliedException> applied) =>
        applied.Distinct().OrderBy(e => e.Id, StringComparer.Ordinal).ThenBy(e => e.Vulnerability, StringComparer.Ordinal).ToList();

    private static string? String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
