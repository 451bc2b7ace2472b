using HarborBridge.Notifications;
using HarborBridge.Contracts;
using HarborBridge.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.ArtifactSigning;

/// <summary>Signing an approved artifact failed after all retries: tell the operator (the artifact stays unsigned).</summary>
internal sealed class SigningFailedApprovedAlertConsumer(TimeProvider time, IOptions<HarborBridgeOptions> transport) : IConsumer<Fault<ArtifactApproved>>
{
    public Task Consume(ConsumeContext<Fault<ArtifactApproved>> context) =>
        SigningFailureAlert.PublishAsync(context, context.Message.Message.Artifact, context.Message.Exceptions, time, transport.Value.Transport);
}

/// <summary>Signing an artifact with warnings failed after all retries: tell the operator.</summary>
internal sealed class SigningFailedWarnedAlertConsumer(TimeProvider time, IOptions<HarborBridgeOptions> transport) : IConsumer<Fault<ArtifactWarned>>
{
    public Task Consume(ConsumeContext<Fault<ArtifactWarned>> context) =>
        SigningFailureAlert.PublishAsync(context, context.Message.Message.Artifact, context.Message.Exceptions, time, transport.Value.Transport);
}

internal static class SigningFailureAlert
{
    public const string Source = "signing";

    // Faults of other consumers of the same decision message are not signing failures: only ours raise the alert.
    public static async Task PublishAsync(ConsumeContext context, ArtifactRef artifact, ExceptionInfo[] exceptions, TimeProvider time, TransportKind transport)
    {
        var failure = exceptions.FirstOrDefault(e => e.ExceptionType == typeof(ArtifactSigningException).FullName);
        if (failure is null)
        {
            return;
        }

        var cause = failure.InnerException?.Message ?? failure.Message;
        var queue = context.SourceAddress?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";
        await context.Publish(new OperatorAlertRaised(
            $"signing-failed:{artifact.Project}/{artifact.Repository}@{artifact.Digest}",
            Source,
            $"Could not sign {artifact.Project}/{artifact.Repository}@{artifact.Digest}",
            $"Signing failed after all retries, so the artifact is not signed: {cause} Check the signing key " +
            "(HarborBridge:Signing:KeyFile and its password) and that the registry accepts the robot's pushes. " +
            PoisonMessageAlertConsumer.ReplayAdvice(transport, queue),
            artifact,
            time.GetUtcNow(),
            $"signing:{failure.InnerException?.ExceptionType ?? failure.ExceptionType}"), context.CancellationToken);
    }
}
