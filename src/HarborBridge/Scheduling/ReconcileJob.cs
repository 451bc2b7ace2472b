using HarborBridge.Contracts;
using MassTransit;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>Asks for a reconciliation with Harbor; the consumer pages through Harbor and does the work.</summary>
[DisallowConcurrentExecution]
internal sealed class ReconcileJob(IBus bus, JobRunLog runs, TimeProvider time) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await runs.RecordAsync(context, cancellationToken);
        await bus.Publish(new ReconcileHarbor($"reconcile:{context.FireInstanceId}", time.GetUtcNow()), cancellationToken);
    }
}
