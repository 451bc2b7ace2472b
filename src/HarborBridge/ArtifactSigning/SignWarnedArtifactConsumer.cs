using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using MassTransit;

namespace HarborBridge.ArtifactSigning;

/// <summary>An artifact that passed with warnings is signed too (the warning goes to its team separately).</summary>
internal sealed class SignWarnedArtifactConsumer(SignArtifactService signing) : IConsumer<ArtifactWarned>
{
    public Task Consume(ConsumeContext<ArtifactWarned> context) =>
        signing.SignAsync(context, context.Message.Artifact, new SigningDecision(
            context.Message.DecisionId, "warn", context.Message.PolicyVersion, context.Message.ReportDigest, context.Message.DecidedAt,
            context.Message.ExceptionsUsed), context.Message.Report);
}
