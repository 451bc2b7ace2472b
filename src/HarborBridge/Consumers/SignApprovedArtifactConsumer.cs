using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Consumers;

/// <summary>An approved artifact is signed, verified and announced as <see cref="ArtifactSigned"/>.</summary>
internal sealed class SignApprovedArtifactConsumer(SignArtifactService signing) : IConsumer<ArtifactApproved>
{
    public Task Consume(ConsumeContext<ArtifactApproved> context) =>
        signing.SignAsync(context, context.Message.DecisionId, context.Message.Artifact);
}
