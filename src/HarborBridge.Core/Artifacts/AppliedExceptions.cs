using System.Globalization;
using System.Text.Json;
using HarborBridge.Contracts;

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
                                ? new DateTimeOffset(last.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
                                : null;
                    }
                }
            }

            return findings.EnumerateArray()
                .Where(f => String(f, "outcome") == "excepted" && String(f, "exception") is not null && String(f, "id") is not null)
                .Select(f => new AppliedException(String(f, "exception")!, String(f, "id")!, expiries.GetValueOrDefault(String(f, "exception")!)))
                .Distinct()
                .OrderBy(e => e.Id, StringComparer.Ordinal).ThenBy(e => e.Vulnerability, StringComparer.Ordinal)
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
