using HarborBridge.Contracts;
using HarborBridge.Scheduling;
using MassTransit;

namespace HarborBridge.Scheduling;

/// <summary>A scheduled rescan or an expired exception: judge the artifact again (AtRisk, cleared, or released).</summary>
internal sealed class ReevaluateArtifactConsumer(RescanService rescans) : IConsumer<ReevaluateArtifact>
{
    public Task Consume(ConsumeContext<ReevaluateArtifact> context) =>
        rescans.ReevaluateAsync(context.Message, context, context.CancellationToken);
}
