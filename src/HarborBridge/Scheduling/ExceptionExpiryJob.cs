using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Scheduling;
using HarborBridge.Policy;
using HarborBridge.Scheduling;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>Ends the exceptions granted from requests whose last day is over, reminds owners of policy exceptions that expire soon (once per exception per day) and, once an exception
/// has expired, asks for every artifact in its scope to be judged again without it.</summary>
[DisallowConcurrentExecution]
internal sealed class ExceptionExpiryJob(
    PolicyProvider policies,
    IScheduleStore store,
    Exceptions.ExceptionRequestService requests,
    IBus bus,
    JobRunLog runs,
    IOptions<SchedulesOptions> options,
    TimeProvider time,
    ILogger<ExceptionExpiryJob> logger) : IJob
{
    private const int MaxCovered = 100_000;
    private static readonly string[] CoveredStates = [ArtifactStates.Approved, ArtifactStates.Warned, ArtifactStates.AtRisk];

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await runs.RecordAsync(context, cancellationToken);
        // Exceptions granted from requests live in the database; the service marks the lapsed ones and asks for re-evaluation.
        await requests.ExpireLapsedAsync(bus, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var due in ExceptionReminders.Due(policies.Current.Policy.Exceptions, now, options.Value.ReminderDays))
        {
            var e = due.Exception;
            if (!await store.TryRecordReminderAsync(due.Key, e.Id, e.Scope, due.Expired ? "expired" : "reminder", now, cancellationToken))
            {
                continue;
            }

            await bus.Publish(new ExceptionExpiring(e.Id, e.Scope, e.Owner, e.Ticket, e.Reason, due.ExpiresAt, due.Expired ? Math.Min(due.DaysLeft, 0) : due.DaysLeft, now), cancellationToken);
            if (!due.Expired)
            {
                continue;
            }

            var covered = (await store.ListInStatesAsync(CoveredStates, MaxCovered, cancellationToken))
                .Where(c => e.Covers(c.Artifact)).ToList();
            foreach (var candidate in covered)
            {
                await bus.Publish(new ReevaluateArtifact($"{due.Key}:{candidate.Artifact}", candidate.Artifact, $"exception {e.Id} expired", now), cancellationToken);
            }

            logger.LogInformation("Policy exception {ExceptionId} ({Scope}) expired; {Count} artifact(s) queued for re-evaluation", e.Id, e.Scope, covered.Count);
        }
    }
}
