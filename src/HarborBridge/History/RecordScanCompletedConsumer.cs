using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

internal sealed class RecordScanCompletedConsumer(ArtifactHistory history) : IConsumer<ScanCompleted>
{
    public Task Consume(ConsumeContext<ScanCompleted> context)
    {
        var m = context.Message;
        var details = m.Summary is { } s ? $"status={s.ScanStatus} severity={s.Severity} total={s.Total}" : "no scan overview (scan-all)";
        return history.RecordAsync(m.EventId, "SCANNING_COMPLETED", m.Artifact, m.Tag, m.Operator, m.OccurredAt, details,
            new ArtifactObservation(m.Artifact, m.Tag, Pusher: null, PushedAt: null, Deleted: false), context.CancellationToken);
    }
}
