using HarborBridge.Core.Scheduling;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>Records each run of a scheduled job (which node ran which firing), so that operators — and the cluster
/// tests — can see that every firing ran exactly once across all <c>serve</c> instances.</summary>
internal sealed class JobRunLog(IScheduleStore store, TimeProvider time)
{
    public Task RecordAsync(IJobExecutionContext context, CancellationToken cancellationToken) =>
        store.RecordJobRunAsync(context.FireInstanceId, context.JobDetail.Key.Name, context.ScheduledFireTimeUtc ?? context.FireTimeUtc,
            time.GetUtcNow(), context.Scheduler.SchedulerInstanceId, cancellationToken);
}
