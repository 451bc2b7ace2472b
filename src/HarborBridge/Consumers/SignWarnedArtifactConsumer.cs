using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Consumers;

/// <summary>An artifact that passed with warnings is signed too (the warning goes to its team separately).</summary>
internal sealed class SignWarnedArtifactConsumer(SignArtifactService signing) : IConsumer<ArtifactWarned>
{
    public Task Consume(ConsumeContext<ArtifactWarned> context) =>
        signing.SignAsync(context, context.Message.DecisionId, context.Message.Artifact);
}
