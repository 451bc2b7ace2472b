using HarborBridge.Contracts;
using HarborBridge.Core.Scheduling;
using MassTransit;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>Finds at-risk artifacts whose fix-by deadline has passed and asks for each to be enforced.</summary>
[DisallowConcurrentExecution]
internal sealed class AtRiskDeadlineJob(IScheduleStore store, IBus bus, JobRunLog runs, TimeProvider time, ILogger<AtRiskDeadlineJob> logger) : IJob
{
    private const int BatchSize = 500;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await runs.RecordAsync(context, cancellationToken);
        var now = time.GetUtcNow();
        var expired = await store.FindExpiredAtRiskAsync(now, BatchSize, cancellationToken);
        foreach (var deadline in expired)
        {
            await bus.Publish(new EnforceAtRiskDeadline(deadline.Artifact, deadline.DecisionId, deadline.FixBy, now), cancellationToken);
        }

        if (expired.Count > 0)
        {
            logger.LogInformation("At-risk deadlines: {Count} artifact(s) past their fix-by date", expired.Count);
        }
    }
}
