namespace HarborBridge.Core.Policy;

/// <summary>Package URL matching for exceptions, with the rules Trivy uses for ignore files and VEX: a pattern
/// without a version matches every version, and qualifiers the pattern names must be present with equal values.</summary>
internal static class Purl
{
    public static bool Matches(string pattern, string purl)
    {
        var (patternName, patternVersion, patternQualifiers) = Split(pattern);
        var (name, version, qualifiers) = Split(purl);
        if (!string.Equals(patternName, name, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (patternVersion is not null && !string.Equals(patternVersion, version, StringComparison.Ordinal))
        {
            return false;
        }

        return patternQualifiers.All(q => qualifiers.TryGetValue(q.Key, out var value) && value == q.Value);
    }

    private static (string Name, string? Version, Dictionary<string, string> Qualifiers) Split(string purl)
    {
        var text = purl;
        var hash = text.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            text = text[..hash];
        }

        var qualifiers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var question = text.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in text[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                qualifiers[eq < 0 ? pair : pair[..eq]] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }

            text = text[..question];
        }

        var at = text.LastIndexOf('@');
        return at > text.LastIndexOf('/') && at >= 0
            ? (Uri.UnescapeDataString(text[..at]), Uri.UnescapeDataString(text[(at + 1)..]), qualifiers)
            : (Uri.UnescapeDataString(text), null, qualifiers);
    }
}
