using System.Globalization;
using HarborBridge.Core.Policy;

namespace HarborBridge.Core.Scheduling;

/// <summary>What is due for one policy exception: a reminder (it expires within the reminder window) or its expiry.</summary>
/// <param name="Key">Identifies the reminder, so each goes out once: one per exception per UTC day, and one expiry.</param>
/// <param name="Expired">True once the exception's last day has passed.</param>
/// <param name="DaysLeft">Whole days from today (UTC) to the last day the exception applies; 0 on that day, negative after.</param>
public sealed record ExceptionDue(PolicyExceptionRule Exception, string Key, bool Expired, int DaysLeft, DateTimeOffset ExpiresAt);

/// <summary>Decides which exceptions need a reminder or an expiry notice at a given time.</summary>
public static class ExceptionReminders
{
    /// <param name="reminderDays">Reminders go out on each of the last <paramref name="reminderDays"/> days before expiry.</param>
    public static IReadOnlyList<ExceptionDue> Due(IEnumerable<PolicyExceptionRule> exceptions, DateTimeOffset now, int reminderDays)
    {
        ArgumentNullException.ThrowIfNull(exceptions);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var due = new List<ExceptionDue>();
        foreach (var exception in exceptions)
        {
            if (exception.Expires is not { } lastDay)
            {
                continue;
            }

            var daysLeft = lastDay.DayNumber - today.DayNumber;
            var expiresAt = new DateTimeOffset(lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var identity = $"{exception.Id}|{exception.Scope}|{lastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
            if (exception.IsExpired(now))
            {
                due.Add(new ExceptionDue(exception, $"{identity}|expired", true, daysLeft, expiresAt));
            }
            else if (daysLeft < reminderDays)
            {
                due.Add(new ExceptionDue(exception, $"{identity}|remind|{today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}", false, daysLeft, expiresAt));
            }
        }

        return due;
    }
}
