using HarborBridge.Contracts;
using HarborBridge.Scheduling;
using MassTransit;

namespace HarborBridge.Scheduling;

/// <summary>Announces artifacts no webhook announced, and repairs webhook settings when asked to.</summary>
internal sealed class ReconcileHarborConsumer(Reconciler reconciler) : IConsumer<ReconcileHarbor>
{
    public Task Consume(ConsumeContext<ReconcileHarbor> context) =>
        reconciler.ReconcileAsync(context.Message, context, context.CancellationToken);
}
