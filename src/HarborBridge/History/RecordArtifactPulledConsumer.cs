using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

internal sealed class RecordArtifactPulledConsumer(ArtifactHistory history) : IConsumer<ArtifactPulled>
{
    public Task Consume(ConsumeContext<ArtifactPulled> context)
    {
        var m = context.Message;
        return history.RecordAsync(m.EventId, "PULL_ARTIFACT", m.Artifact, m.Tag, m.Puller, m.OccurredAt, null,
            new ArtifactObservation(m.Artifact, m.Tag, Pusher: null, PushedAt: null, Deleted: false), context.CancellationToken);
    }
}
