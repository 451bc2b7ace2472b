using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

internal sealed class RecordScanFailedConsumer(ArtifactHistory history) : IConsumer<ScanFailed>
{
    public Task Consume(ConsumeContext<ScanFailed> context)
    {
        var m = context.Message;
        var type = m.ScanStatus == "Stopped" ? "SCANNING_STOPPED" : "SCANNING_FAILED";
        return history.RecordAsync(m.EventId, type, m.Artifact, m.Tag, m.Operator, m.OccurredAt, $"status={m.ScanStatus}",
            new ArtifactObservation(m.Artifact, m.Tag, Pusher: null, PushedAt: null, Deleted: false), context.CancellationToken);
    }
}
