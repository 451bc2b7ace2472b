using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using MassTransit;

namespace HarborBridge.ArtifactSigning;

/// <summary>An approved artifact is signed, verified and announced as <see cref="ArtifactSigned"/>.</summary>
internal sealed class SignApprovedArtifactConsumer(SignArtifactService signing) : IConsumer<ArtifactApproved>
{
    public Task Consume(ConsumeContext<ArtifactApproved> context) =>
        signing.SignAsync(context, context.Message.Artifact, new SigningDecision(
            context.Message.DecisionId, context.Message.Verdict ?? "pass", context.Message.PolicyVersion, context.Message.ReportDigest, context.Message.DecidedAt,
            context.Message.ExceptionsUsed), context.Message.Report);
}
