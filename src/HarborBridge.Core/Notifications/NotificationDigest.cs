using System.Globalization;
using HarborBridge.Contracts;

namespace HarborBridge.Core.Notifications;

/// <summary>One artifact a team was told about in the digest period, with the verdict it was told.</summary>
public sealed record DigestEntry(string Verdict, ArtifactRef Artifact, string? Tag);

/// <summary>Renders a team's daily digest: counts per verdict and the artifacts under each. Pure: no I/O, no clock.</summary>
public static class NotificationDigest
{
    private static readonly string[] Order = ["quarantined", "blocked", "at-risk", "warned", "released"];

    public static NotificationContent Render(string route, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<DigestEntry> items)
    {
        var groups = items.GroupBy(i => i.Verdict).OrderBy(g => Array.IndexOf(Order, g.Key) is var i && i < 0 ? int.MaxValue : i).ToList();
        var counts = string.Join(", ", groups.Select(g => $"{g.Count()} {g.Key}"));
        var facts = new List<NotificationFact>
        {
            new("Team", route),
            new("Period", string.Create(CultureInfo.InvariantCulture, $"{from.UtcDateTime:yyyy-MM-dd HH:mm} to {to.UtcDateTime:yyyy-MM-dd HH:mm} UTC")),
        };
        foreach (var g in groups)
        {
            facts.Add(new(g.Key, string.Join("\n", g.Select(i => $"{i.Artifact.FullRepository}{(i.Tag is { Length: > 0 } t ? ":" + t : "")}@{i.Artifact.Digest}"))));
        }

        return new NotificationContent("digest", "info", $"Daily digest for {route}: {counts}",
            $"In the last period {route} was told about {items.Count} artifact change(s): {counts}.", null, null, facts, [], [], [],
            "Open the artifacts listed to see their findings; quarantined ones need a fixed image or an exception.", []);
    }
}
