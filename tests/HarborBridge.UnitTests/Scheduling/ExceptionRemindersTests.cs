using HarborBridge.Core.Policy;
using HarborBridge.Core.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace HarborBridge.UnitTests.Scheduling;

public sealed class ExceptionRemindersTests
{
    private static PolicyExceptionRule Exception(string id, DateOnly? expires) =>
        new(id, null, null, null, expires, "accepted risk", "team-payments@example.com", "SEC-1");

    [Fact]
    public void Due_OutsideTheWindow_Nothing()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 6, 0, 0, TimeSpan.Zero));

        // Last day 2026-11-08 is 7 days ahead of 2026-11-01; with 7 reminder days the first reminder is on 2026-11-02.
        Assert.Empty(ExceptionReminders.Due([Exception("CVE-1", new DateOnly(2026, 11, 8))], clock.GetUtcNow(), 7));
    }

    [Fact]
    public void Due_EachDayOfTheWindow_OneReminderWithItsOwnKeyAndDaysLeft()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 6, 0, 0, TimeSpan.Zero));
        var exception = Exception("CVE-1", new DateOnly(2026, 11, 8));
        var seen = new List<(string Key, int DaysLeft)>();
        for (var day = 0; day < 7; day++)
        {
            var due = Assert.Single(ExceptionReminders.Due([exception], clock.GetUtcNow(), 7));
            Assert.False(due.Expired);
            seen.Add((due.Key, due.DaysLeft));
            clock.Advance(TimeSpan.FromDays(1));
        }

        Assert.Equal([6, 5, 4, 3, 2, 1, 0], seen.Select(s => s.DaysLeft));
        Assert.Equal(7, seen.Select(s => s.Key).Distinct().Count());
    }

    [Fact]
    public void Due_SameDayTwice_SameKey()
    {
        var exception = Exception("CVE-1", new DateOnly(2026, 11, 8));
        var morning = ExceptionReminders.Due([exception], new DateTimeOffset(2026, 11, 5, 6, 0, 0, TimeSpan.Zero), 7).Single();
        var evening = ExceptionReminders.Due([exception], new DateTimeOffset(2026, 11, 5, 23, 59, 0, TimeSpan.Zero), 7).Single();

        Assert.Equal(morning.Key, evening.Key);
    }

    [Fact]
    public void Due_AfterTheLastDay_ExpiredWithOneKeyForEveryLaterRun()
    {
        var exception = Exception("CVE-1", new DateOnly(2026, 11, 8));
        var first = ExceptionReminders.Due([exception], new DateTimeOffset(2026, 11, 9, 0, 0, 0, TimeSpan.Zero), 7).Single();
        var later = ExceptionReminders.Due([exception], new DateTimeOffset(2026, 11, 20, 6, 0, 0, TimeSpan.Zero), 7).Single();

        Assert.True(first.Expired);
        Assert.Equal(new DateTimeOffset(2026, 11, 9, 0, 0, 0, TimeSpan.Zero), first.ExpiresAt);
        Assert.Equal(first.Key, later.Key);
    }

    [Fact]
    public void Due_LastSecondOfTheLastDay_StillAReminder()
    {
        var due = ExceptionReminders.Due([Exception("CVE-1", new DateOnly(2026, 11, 8))], new DateTimeOffset(2026, 11, 8, 23, 59, 59, TimeSpan.Zero), 7).Single();

        Assert.False(due.Expired);
        Assert.Equal(0, due.DaysLeft);
    }

    [Fact]
    public void Due_NoExpiry_NeverDue()
    {
        Assert.Empty(ExceptionReminders.Due([Exception("CVE-1", null)], new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 7));
    }
}
