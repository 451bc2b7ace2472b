using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Scheduling;
using HarborBridge.Scheduling;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>Queues a bounded batch of decided artifacts, newest push first, for re-evaluation against Harbor's current
/// report. Each artifact is queued at most once per <see cref="SchedulesOptions.RescanMinInterval"/>.</summary>
[DisallowConcurrentExecution]
internal sealed class RescanJob(IScheduleStore store, IBus bus, JobRunLog runs, IOptions<SchedulesOptions> options, TimeProvider time, ILogger<RescanJob> logger) : IJob
{
    private static readonly string[] States = [ArtifactStates.Approved, ArtifactStates.Warned, ArtifactStates.AtRisk, ArtifactStates.Quarantined];

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await runs.RecordAsync(context, cancellationToken);
        var now = time.GetUtcNow();
        var batch = await store.TakeRescanBatchAsync(States, now - options.Value.RescanMinInterval, options.Value.RescanBatchSize, now, cancellationToken);
        foreach (var candidate in batch)
        {
            await bus.Publish(new ReevaluateArtifact($"rescan:{context.FireInstanceId}:{candidate.Artifact}", candidate.Artifact, "scheduled rescan", now), cancellationToken);
        }

        logger.LogInformation("Rescan: {Count} artifact(s) queued for re-evaluation", batch.Count);
    }
}
