using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Scanning;

/// <summary>A push: ask Harbor to scan it (unless the project scans on push), or in direct Trivy mode scan and decide.</summary>
internal sealed class RequestScanConsumer(ScanOrchestrator orchestrator) : IConsumer<ArtifactPushed>
{
    public Task Consume(ConsumeContext<ArtifactPushed> context) =>
        orchestrator.RequestScanAsync(context.Message, context, context.CancellationToken);
}
