using HarborBridge.Dashboard;

namespace HarborBridge.UnitTests.Dashboard;

/// <summary>The decisions chart's buckets: every bucket present, each decision counted once in the bucket holding it.</summary>
public sealed class DecisionStatsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Hourly_ThreeBuckets_CountsEachDecisionInItsHour()
    {
        (string, DateTimeOffset)[] decisions =
        [
            ("Pass", new DateTimeOffset(2026, 11, 27, 7, 59, 59, TimeSpan.Zero)),   // before the window: not counted
            ("Pass", new DateTimeOffset(2026, 11, 27, 8, 59, 59, TimeSpan.Zero)),   // 08:00 bucket
            ("Block", new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero)),    // 09:00 bucket (its first instant)
            ("Block", new DateTimeOffset(2026, 11, 27, 11, 15, 0, TimeSpan.FromHours(2))), // 09:15 UTC
            ("Warn", new DateTimeOffset(2026, 11, 27, 10, 29, 0, TimeSpan.Zero)),   // 10:00 bucket
            ("Block", Now),                                                          // 10:00 bucket
            ("Error", Now),                                                          // not a verdict: not counted
        ];

        var buckets = DecisionStats.Count(decisions, Now, TimeSpan.FromHours(1), 3);

        Assert.Equal(
        [
            new DecisionStats.Bucket(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero), 1, 0, 0),
            new DecisionStats.Bucket(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero), 0, 0, 2),
            new DecisionStats.Bucket(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero), 0, 1, 1),
        ], buckets);
    }

    [Fact]
    public void Daily_NoDecisions_ThirtyEmptyDaysEndingToday()
    {
        var buckets = DecisionStats.Count([], Now, TimeSpan.FromDays(1), 30);

        Assert.Equal(30, buckets.Count);
        Assert.Equal(new DateTimeOffset(2026, 10, 29, 0, 0, 0, TimeSpan.Zero), buckets[0].Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), buckets[^1].Start);
        Assert.All(buckets, b => Assert.Equal(0, b.Pass + b.Warn + b.Block));
    }
}
