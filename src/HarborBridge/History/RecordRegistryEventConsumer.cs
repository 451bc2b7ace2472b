using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

internal sealed class RecordRegistryEventConsumer(ArtifactHistory history) : IConsumer<RegistryEventReceived>
{
    public Task Consume(ConsumeContext<RegistryEventReceived> context)
    {
        var m = context.Message;
        return history.RecordAsync(
            new ArtifactEvent(m.EventId, m.EventType, m.Project, m.Repository, m.Digest, null, m.Operator, m.OccurredAt, m.Details),
            observation: null, context.CancellationToken);
    }
}
