using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace HarborBridge.Core.Findings;

/// <summary>Tolerant accessors: reports drift between scanner versions, so a field of an unexpected
/// type counts as absent rather than failing the whole report.</summary>
internal static class JsonRead
{
    public static string? String(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static string? AsString(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A severity value; the common spellings are matched without allocating.</summary>
    public static Severity AsSeverity(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return Findings.Severity.Unknown;
        }

        return value.ValueEquals("CRITICAL"u8) || value.ValueEquals("Critical"u8) ? Findings.Severity.Critical
            : value.ValueEquals("HIGH"u8) || value.ValueEquals("High"u8) ? Findings.Severity.High
            : value.ValueEquals("MEDIUM"u8) || value.ValueEquals("Medium"u8) ? Findings.Severity.Medium
            : value.ValueEquals("LOW"u8) || value.ValueEquals("Low"u8) ? Findings.Severity.Low
            : SeverityNames.FromReport(value.GetString());
    }

    public static Severity Severity(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? AsSeverity(value) : Findings.Severity.Unknown;

    public static double? Number(JsonElement element, ReadOnlySpan<byte> name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDouble(out var d) => d,
            JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }

    public static JsonElement? Object(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    /// <summary>The array under <paramref name="name"/>; absent or <c>null</c> = empty; any other type is an error.</summary>
    public static JsonElement.ArrayEnumerator? Array(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ReportFormatException($"{path}{name} must be an array, not {Describe(value.ValueKind)}.");
        }

        return value.EnumerateArray();
    }

    /// <summary>Reads every object of the array under <paramref name="name"/> into <paramref name="findings"/>; an item that
    /// is not an object, or that <paramref name="read"/> rejects (null: no id), fails the report naming its position.</summary>
    public static void Items(JsonElement container, string name, string path, string idField, List<Finding> findings, Func<JsonElement, Finding?> read)
    {
        if (Array(container, name, path) is not { } items)
        {
            return;
        }

        var index = 0;
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new ReportFormatException($"{path}{name}[{index}] must be an object, not {Describe(item.ValueKind)}.");
            }

            findings.Add(read(item) ?? throw new ReportFormatException($"{path}{name}[{index}] has no id ({idField})."));
            index++;
        }
    }

    public static IReadOnlyList<string> Strings(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? AsStrings(value) : [];

    /// <summary>The non-empty strings of an array value (Harbor stores "none" as <c>[""]</c>); anything else is empty.</summary>
    public static IReadOnlyList<string> AsStrings(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } text)
            {
                list.Add(text);
            }
        }

        return list;
    }

    public static DateTimeOffset? Timestamp(JsonElement element, ReadOnlySpan<byte> name) =>
        String(element, name) is { } text &&
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;

    /// <summary>Splits Trivy's <c>FixedVersion</c> (a comma list, one entry per release line) into versions.</summary>
    public static IReadOnlyList<string> FixedVersions(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? []
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Lower-case status; when absent, derived the way Trivy does: fixed when a fix is named, else affected.</summary>
    public static string Status(string? status, IReadOnlyList<string> fixedVersions, StringPool? pool = null)
    {
        if (string.IsNullOrWhiteSpace(status))
        {
            return fixedVersions.Count > 0 ? "fixed" : "affected";
        }

        var normal = status.Trim().ToLowerInvariant();
        return pool is null || ReferenceEquals(normal, status) ? normal : pool.Get(normal);
    }

    /// <summary>CVSS map source → {V2Score, V3Score, V40Score, …vectors} (Trivy <c>CVSS</c>, Harbor <c>vendor_attributes.CVSS</c>).</summary>
    public static List<CvssScore> Cvss(JsonElement? map, StringPool? pool = null)
    {
        if (map is not { ValueKind: JsonValueKind.Object } cvss)
        {
            return new List<CvssScore>(1);
        }

        var list = new List<CvssScore>(cvss.GetPropertyCount());
        foreach (var source in cvss.EnumerateObject())
        {
            var s = source.Value;
            if (s.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var name = pool is null ? source.Name.ToLowerInvariant() : pool.GetLowerCaseName(source);
            list.Add(new CvssScore(name, Number(s, "V2Score"u8), Number(s, "V3Score"u8), Number(s, "V40Score"u8),
                Vector(s, "V2Vector"u8, pool), Vector(s, "V3Vector"u8, pool), Vector(s, "V40Vector"u8, pool)));
        }

        return list;
    }

    private static string? Vector(JsonElement score, ReadOnlySpan<byte> name, StringPool? pool) =>
        pool is not null && score.TryGetProperty(name, out var value) ? pool.Get(value) : String(score, name);

    /// <summary>The property's name as written in the report, without allocating (names are compared, never escaped in
    /// scanner output).</summary>
    public static ReadOnlySpan<byte> Name(JsonProperty property) => JsonMarshal.GetRawUtf8PropertyName(property);

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
