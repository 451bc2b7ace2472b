using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Scanning;

/// <summary>A finished scan: fetch the report, judge it, publish the decision.</summary>
internal sealed class EvaluateScanConsumer(ScanOrchestrator orchestrator) : IConsumer<ScanCompleted>
{
    public Task Consume(ConsumeContext<ScanCompleted> context)
    {
        var m = context.Message;
        return orchestrator.EvaluateAsync(m.Artifact, m.Tag, m.EventId, $"SCANNING_COMPLETED {m.EventId}", context, context.CancellationToken);
    }
}
