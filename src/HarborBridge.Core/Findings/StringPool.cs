using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace HarborBridge.Core.Findings;

/// <summary>
/// Hands out one string instance per distinct short value while a report is read. Large reports repeat the same
/// package names, versions, statuses and CVSS vectors thousands of times; sharing them keeps the findings of a
/// 10,000-finding report from becoming hundreds of thousands of objects the garbage collector has to copy.
/// </summary>
internal sealed class StringPool
{
    private const int MaxPooledBytes = 128;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The value of a JSON string, shared with earlier equal values; null when <paramref name="value"/> is not a string.</summary>
    public string? Get(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        // The raw value includes the quotes; escaped text (rare in scanner output) is unescaped by the reader instead.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length < 2 || raw.Length - 2 > MaxPooledBytes || raw.IndexOf((byte)'\\') >= 0)
        {
            return value.GetString();
        }

        return FromUtf8(raw[1..^1], lowerCase: false);
    }

    /// <summary>A property's name in lower case (e.g. a CVSS source), shared with earlier equal names.</summary>
    public string GetLowerCaseName(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.Length > MaxPooledBytes || raw.IndexOf((byte)'\\') >= 0
            ? property.Name.ToLowerInvariant()
            : FromUtf8(raw, lowerCase: true);
    }

    private string FromUtf8(ReadOnlySpan<byte> utf8, bool lowerCase)
    {
        Span<char> chars = stackalloc char[MaxPooledBytes];
        var text = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        if (lowerCase)
        {
            Span<char> lower = stackalloc char[text.Length];
            text.ToLowerInvariant(lower);
            text = lower;
        }

        if (_lookup.TryGetValue(text, out var pooled))
        {
            return pooled;
        }

        var created = new string(text);
        _strings.Add(created, created);
        return created;
    }

    private readonly Dictionary<string, IReadOnlyList<string>> _fixedVersions = new(StringComparer.Ordinal);

    /// <summary><see cref="JsonRead.FixedVersions"/>, split once per distinct text (the lists are never changed).</summary>
    public IReadOnlyList<string> FixedVersions(string? text)
    {
        if (text is null)
        {
            return [];
        }

        if (!_fixedVersions.TryGetValue(text, out var versions))
        {
            versions = JsonRead.FixedVersions(text);
            _fixedVersions.Add(text, versions);
        }

        return versions;
    }

    /// <summary>The same as <see cref="Get(JsonElement)"/> for an already decoded string.</summary>
    public string Get(string text)
    {
        if (text.Length > MaxPooledBytes)
        {
            return text;
        }

        if (_strings.TryGetValue(text, out var pooled))
        {
            return pooled;
        }

        _strings.Add(text, text);
        return text;
    }
}
