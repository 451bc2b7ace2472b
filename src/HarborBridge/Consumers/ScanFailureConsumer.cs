using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Consumers;

/// <summary>A scan that failed or was stopped: hold, quarantine or allow, as the policy's onScanFailure says.</summary>
internal sealed class ScanFailureConsumer(ScanOrchestrator orchestrator) : IConsumer<ScanFailed>
{
    public Task Consume(ConsumeContext<ScanFailed> context)
    {
        var m = context.Message;
        return orchestrator.HandleScanFailureAsync(m.Artifact, m.Tag, m.ScanStatus, m.EventId, context, context.CancellationToken);
    }
}
