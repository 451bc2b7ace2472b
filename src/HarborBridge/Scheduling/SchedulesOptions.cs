using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>When the scheduled jobs run and how much each run does (section <c>HarborBridge:Schedules</c>).
/// Schedules are Quartz cron expressions (seconds first: <c>0 */15 * * * ?</c>); an empty value switches a job off.</summary>
public sealed class SchedulesOptions
{
    public const string SectionName = "HarborBridge:Schedules";

    /// <summary>Re-evaluates approved, warned, at-risk and quarantined artifacts (default: every hour).</summary>
    public string Rescan { get; set; } = "0 0 * * * ?";

    /// <summary>Quarantines at-risk artifacts whose fix-by deadline passed (default: every 5 minutes).</summary>
    public string AtRiskDeadlines { get; set; } = "0 */5 * * * ?";

    /// <summary>Finds artifacts no webhook announced, and checks webhook policies (default: every 15 minutes).</summary>
    public string Reconcile { get; set; } = "0 */15 * * * ?";

    /// <summary>Exception reminders and expiries (default: every day at 06:00 UTC).</summary>
    public string ExceptionExpiry { get; set; } = "0 0 6 * * ?";

    /// <summary>Checks the OpenVEX documents the policy names and re-evaluates the artifacts a changed one names
    /// (default: every minute).</summary>
    public string VexChanges { get; set; } = "0 * * * * ?";

    /// <summary>Artifacts one rescan run queues at most (newest push first).</summary>
    [Range(1, 1_000_000)]
    public int RescanBatchSize { get; set; } = 2_000;

    /// <summary>An artifact is queued for a rescan at most once in this period.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan RescanMinInterval { get; set; } = TimeSpan.FromHours(20);

    /// <summary>Reminders go to an exception's owner on each of the last N days before it expires.</summary>
    [Range(0, 365)]
    public int ReminderDays { get; set; } = 7;

    /// <summary>The Quartz scheduler's name: on PostgreSQL, the replicas with the same name form one cluster (two
    /// HarborBridge installations sharing a database keep apart with different names). It is also the scheduler's name in
    /// the process, so hosts that run side by side in one process (tests) need different names.</summary>
    [RegularExpression("^[A-Za-z0-9_.-]{1,80}$", ErrorMessage = "ClusterName: 1-80 letters, digits, '_', '.' or '-'.")]
    public string ClusterName { get; set; } = "harborbridge";

    /// <summary>How often a clustered node (PostgreSQL) records that it is alive; a node silent for longer is
    /// taken as dead and its running jobs are recovered by the others.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconciliation settings.</summary>
    public ReconcileOptions Reconciliation { get; set; } = new();
}

/// <summary>Reconciliation settings (section <c>HarborBridge:Schedules:Reconciliation</c>).</summary>
public sealed class ReconcileOptions
{
    /// <summary>Harbor list page size (Harbor allows at most 100).</summary>
    [Range(1, 100)]
    public int PageSize { get; set; } = 100;

    /// <summary>Each run looks this far back before the previous run's start, for pushes that were in flight.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How far back the very first run looks; null = every artifact in Harbor.</summary>
    public TimeSpan? InitialLookback { get; set; }

    /// <summary>Projects to reconcile (exact names); empty = every project HarborBridge's account can see.</summary>
    public List<string> Projects { get; set; } = [];

    /// <summary>Opt-in: create or repair each reconciled project's webhook policy (pointing at <see cref="WebhookAddress"/>)
    /// and switch on Harbor's scan-on-push.</summary>
    public bool RepairWebhooks { get; set; }

    /// <summary>Where Harbor should send webhooks, e.g. <c>https://harborbridge.example.com/webhooks/harbor</c>.</summary>
    public string? WebhookAddress { get; set; }
}

/// <summary>Every non-empty schedule is a Quartz cron expression (seconds minutes hours day-of-month month
/// day-of-week); <c>Reconciliation:WebhookAddress</c> is an absolute URL when <c>RepairWebhooks</c> is true.</summary>
internal sealed class SchedulesOptionsValidator : IValidateOptions<SchedulesOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulesOptions options)
    {
        var failures = new List<string>();
        foreach (var (key, value) in Crons(options))
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            try
            {
                _ = new CronExpression(value);
            }
            catch (FormatException e)
            {
                failures.Add($"{SchedulesOptions.SectionName}:{key}: '{value}' is not a Quartz cron expression (seconds minutes hours day-of-month month day-of-week, e.g. '0 */15 * * * ?'): {e.Message}");
            }
        }

        if (options.Reconciliation.RepairWebhooks && !Uri.TryCreate(options.Reconciliation.WebhookAddress, UriKind.Absolute, out _))
        {
            failures.Add($"{SchedulesOptions.SectionName}:Reconciliation:WebhookAddress: required (an absolute URL) when RepairWebhooks is true");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static IEnumerable<(string Key, string Value)> Crons(SchedulesOptions o) =>
    [
        (nameof(o.Rescan), o.Rescan), (nameof(o.AtRiskDeadlines), o.AtRiskDeadlines),
        (nameof(o.Reconcile), o.Reconcile), (nameof(o.ExceptionExpiry), o.ExceptionExpiry), (nameof(o.VexChanges), o.VexChanges),
    ];
}
