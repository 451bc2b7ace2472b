using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

internal sealed class RecordArtifactPushedConsumer(ArtifactHistory history) : IConsumer<ArtifactPushed>
{
    public Task Consume(ConsumeContext<ArtifactPushed> context)
    {
        var m = context.Message;
        return history.RecordAsync(m.EventId, "PUSH_ARTIFACT", m.Artifact, m.Tag, m.Pusher, m.OccurredAt, null,
            new ArtifactObservation(m.Artifact, m.Tag, m.Pusher, m.OccurredAt, Deleted: false), context.CancellationToken);
    }
}
