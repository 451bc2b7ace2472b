namespace HarborBridge.Dashboard;

/// <summary>Decisions counted per time bucket and verdict, for the dashboard's chart.</summary>
internal static class DecisionStats
{
    public sealed record Bucket(DateTimeOffset Start, int Pass, int Warn, int Block);

    public sealed record Response(string Bucket, IReadOnlyList<Bucket> Buckets);

    /// <summary>Consecutive buckets of <paramref name="size"/> ending with the one holding <paramref name="now"/>
    /// (all of them, empty ones too, so a chart has an even time axis).</summary>
    public static IReadOnlyList<Bucket> Count(IEnumerable<(string Verdict, DateTimeOffset DecidedAt)> decisions, DateTimeOffset now, TimeSpan size, int count)
    {
        var lastStart = Floor(now, size);
        var firstStart = lastStart - size * (count - 1);
        var tallies = new int[count, 3];
        foreach (var (verdict, at) in decisions)
        {
            var index = (int)Math.Floor((at.ToUniversalTime() - firstStart) / size);
            var column = verdict switch { "Pass" => 0, "Warn" => 1, "Block" => 2, _ => -1 };
            if (index >= 0 && index < count && column >= 0)
            {
                tallies[index, column]++;
            }
        }

        return [.. Enumerable.Range(0, count).Select(i => new Bucket(firstStart + size * i, tallies[i, 0], tallies[i, 1], tallies[i, 2]))];
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan size)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % size.Ticks, TimeSpan.Zero);
    }
}
