using HarborBridge.ArtifactSigning;
using HarborBridge.Contracts;
using HarborBridge.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Notifications;

/// <summary>
/// A pipeline message that failed all its retries is moved to <c>&lt;queue&gt;_error</c> and MassTransit publishes
/// <c>Fault&lt;T&gt;</c>. This turns each such fault into an <see cref="OperatorAlertRaised"/> that names the message, the
/// artifact, the error and how to replay it, with a <see cref="OperatorAlertRaised.Cause"/> (queue and exception type)
/// so that many failures of one cause are notified as one message. It handles the fault of every message type a
/// HarborBridge consumer takes (a unit test checks the list is complete), except <see cref="OperatorAlertRaised"/>
/// itself, whose failure is logged (an alert about a failed alert would fail the same way). One consumer for several
/// message types (an exception to one message per consumer): the handling is the same for all of them.
/// </summary>
internal sealed partial class PoisonMessageAlertConsumer(
    TimeProvider time,
    IOptions<HarborBridgeOptions> transport,
    ILogger<PoisonMessageAlertConsumer> logger) :
    IConsumer<Fault<ArtifactPushed>>,
    IConsumer<Fault<ArtifactPulled>>,
    IConsumer<Fault<ArtifactDeleted>>,
    IConsumer<Fault<ScanCompleted>>,
    IConsumer<Fault<ScanFailed>>,
    IConsumer<Fault<CheckScan>>,
    IConsumer<Fault<ArtifactApproved>>,
    IConsumer<Fault<ArtifactWarned>>,
    IConsumer<Fault<ArtifactBlocked>>,
    IConsumer<Fault<ArtifactQuarantined>>,
    IConsumer<Fault<ArtifactReleased>>,
    IConsumer<Fault<ArtifactAtRisk>>,
    IConsumer<Fault<ReleaseArtifact>>,
    IConsumer<Fault<ReevaluateArtifact>>,
    IConsumer<Fault<EnforceAtRiskDeadline>>,
    IConsumer<Fault<RegistryEventReceived>>,
    IConsumer<Fault<DeliverNotification>>,
    IConsumer<Fault<ExceptionExpiring>>,
    IConsumer<Fault<ExceptionRequestChanged>>,
    IConsumer<Fault<ReconcileHarbor>>,
    IConsumer<Fault<SendNotificationDigest>>,
    IConsumer<Fault<OperatorAlertRaised>>
{
    public Task Consume(ConsumeContext<Fault<ArtifactPushed>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactPulled>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactDeleted>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ScanCompleted>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ScanFailed>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<CheckScan>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactApproved>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactWarned>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactBlocked>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactQuarantined>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactReleased>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactAtRisk>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ReleaseArtifact>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ReevaluateArtifact>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<EnforceAtRiskDeadline>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<RegistryEventReceived>> context) => RaiseAsync(context, null);

    public Task Consume(ConsumeContext<Fault<ExceptionRequestChanged>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<DeliverNotification>> context) => RaiseAsync(context, null);

    public Task Consume(ConsumeContext<Fault<ExceptionExpiring>> context) => RaiseAsync(context, null);

    public Task Consume(ConsumeContext<Fault<ReconcileHarbor>> context) => RaiseAsync(context, null);

    public Task Consume(ConsumeContext<Fault<SendNotificationDigest>> context) => RaiseAsync(context, null);

    public Task Consume(ConsumeContext<Fault<OperatorAlertRaised>> context)
    {
        var error = (context.Message.Exceptions ?? []).FirstOrDefault(e => e is not null);
        LogAlertLost(logger, context.Message.Message.Summary, error is null ? "unknown error" : $"{error.ExceptionType}: {error.Message}");
        return Task.CompletedTask;
    }

    /// <summary>What an operator can do with a message in the error queue: depends on whether there is one.</summary>
    internal static string ReplayAdvice(TransportKind transport, string queue) => transport == TransportKind.RabbitMq
        ? $"The message is kept in the RabbitMQ queue {queue}_error. Fix the cause, then move it back to {queue} to replay it " +
          "(docs/performance.md, 'Poison messages and replay'); consumers are idempotent, so a replay never signs twice."
        : "This process uses the in-memory transport (HarborBridge:Transport=InMemory): failed messages are not kept and CANNOT be " +
          "replayed, and they are lost at the next restart. The reconcile job announces again the pushes Harbor has and HarborBridge " +
          "never decided; anything else has to be redone by hand. Use RabbitMQ to keep and replay failed messages.";

    private async Task RaiseAsync<T>(ConsumeContext<Fault<T>> context, ArtifactRef? artifact)
        where T : class
    {
        var fault = context.Message;
        var exceptions = (fault.Exceptions ?? []).Where(e => e is not null).ToList();
        if (exceptions.Any(e => e.ExceptionType == typeof(ArtifactSigningException).FullName))
        {
            return; // the signing alert (SigningFailureAlert) covers it
        }

        var message = typeof(T).Name;
        // The fault is sent from the endpoint that gave up; its queue name is the last segment of that address.
        var queue = context.SourceAddress?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";
        var error = exceptions.FirstOrDefault();
        var reason = error is null ? "unknown error" : $"{error.ExceptionType}: {error.Message}";
        var what = artifact is null ? message : $"{message} for {artifact.Project}/{artifact.Repository}@{artifact.Digest}";
        LogPoison(logger, what, queue, reason);
        await context.Publish(new OperatorAlertRaised(
            $"poison:{queue}:{fault.FaultedMessageId}",
            "messaging",
            $"{what} failed all retries and was moved to {queue}_error",
            $"{reason}. {ReplayAdvice(transport.Value.Transport, queue)}",
            artifact,
            time.GetUtcNow(),
            $"poison:{queue}:{error?.ExceptionType ?? "unknown"}"), context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{What} failed all retries in {Queue}: {Reason}; moved to the error queue, operator alert raised")]
    private static partial void LogPoison(ILogger logger, string what, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "An operator alert could not be notified and is lost: {Summary} ({Reason})")]
    private static partial void LogAlertLost(ILogger logger, string summary, string reason);
}
