using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

internal sealed class RecordArtifactDeletedConsumer(ArtifactHistory history) : IConsumer<ArtifactDeleted>
{
    public Task Consume(ConsumeContext<ArtifactDeleted> context)
    {
        var m = context.Message;
        return history.RecordAsync(m.EventId, "DELETE_ARTIFACT", m.Artifact, m.Tag, m.Operator, m.OccurredAt, null,
            new ArtifactObservation(m.Artifact, m.Tag, Pusher: null, PushedAt: null, Deleted: true), context.CancellationToken);
    }
}
