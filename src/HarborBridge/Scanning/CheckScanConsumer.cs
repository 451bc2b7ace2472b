using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Scanning;

/// <summary>A scan that timed out: finish it from Harbor's state, start it again, or fail it.</summary>
internal sealed class CheckScanConsumer(ScanOrchestrator orchestrator) : IConsumer<CheckScan>
{
    public Task Consume(ConsumeContext<CheckScan> context) =>
        orchestrator.CheckScanAsync(context.Message, context, context.CancellationToken);
}
