using System.Globalization;

namespace HarborBridge.HarborSimulator;

/// <summary>The part of Harbor's <c>q</c> query language the artifact listing uses: a <c>push_time=[from~to]</c>
/// range, times as <c>2020-04-09 02:36:00</c> (UTC), either bound may be empty.</summary>
internal static class ArtifactQuery
{
    public static (DateTimeOffset? From, DateTimeOffset? To)? PushTimeRange(string? q)
    {
        const string prefix = "push_time=[";
        if (q is null || !q.StartsWith(prefix, StringComparison.Ordinal) || !q.EndsWith(']'))
        {
            return null;
        }

        var bounds = q[prefix.Length..^1].Split('~');
        if (bounds.Length != 2)
        {
            throw new BadRequestException($"invalid range in q: {q}");
        }

        return (Time(bounds[0]), Time(bounds[1]));
    }

    private static DateTimeOffset? Time(string text) =>
        text.Length == 0 ? null
        : DateTimeOffset.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new BadRequestException($"invalid time in q: {text}");
}
