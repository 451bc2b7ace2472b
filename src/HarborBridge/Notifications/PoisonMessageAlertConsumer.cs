using HarborBridge.ArtifactSigning;
using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Notifications;

/// <summary>
/// A pipeline message that failed all its retries is moved to <c>&lt;queue&gt;_error</c> and MassTransit publishes
/// <c>Fault&lt;T&gt;</c>. This turns each such fault into one <see cref="OperatorAlertRaised"/> that names the message, the
/// artifact, the error and how to replay it. One consumer for several message types (an exception to one message per
/// consumer): the handling is the same for all of them.
/// </summary>
internal sealed partial class PoisonMessageAlertConsumer(TimeProvider time, ILogger<PoisonMessageAlertConsumer> logger) :
    IConsumer<Fault<ArtifactPushed>>,
    IConsumer<Fault<ScanCompleted>>,
    IConsumer<Fault<ScanFailed>>,
    IConsumer<Fault<CheckScan>>,
    IConsumer<Fault<ArtifactApproved>>,
    IConsumer<Fault<ArtifactWarned>>,
    IConsumer<Fault<ArtifactBlocked>>
{
    public Task Consume(ConsumeContext<Fault<ArtifactPushed>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ScanCompleted>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ScanFailed>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<CheckScan>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactApproved>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactWarned>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    public Task Consume(ConsumeContext<Fault<ArtifactBlocked>> context) => RaiseAsync(context, context.Message.Message.Artifact);

    private async Task RaiseAsync<T>(ConsumeContext<Fault<T>> context, ArtifactRef artifact)
        where T : class
    {
        var fault = context.Message;
        if (fault.Exceptions.Any(e => e.ExceptionType == typeof(ArtifactSigningException).FullName))
        {
            return; // the signing alert (SigningFailureAlert) covers it, with a key per artifact
        }

        var message = typeof(T).Name;
        // The fault is sent from the endpoint that gave up; its queue name is the last segment of that address.
        var queue = context.SourceAddress?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";
        var error = fault.Exceptions.FirstOrDefault();
        var reason = error is null ? "unknown error" : $"{error.ExceptionType}: {error.Message}";
        LogPoison(logger, message, queue, artifact.Project, artifact.Repository, artifact.Digest, reason);
        await context.Publish(new OperatorAlertRaised(
            $"poison:{queue}:{fault.FaultedMessageId}",
            "messaging",
            $"{message} for {artifact.Project}/{artifact.Repository}@{artifact.Digest} failed all retries and was moved to {queue}_error",
            $"{reason}. The message is kept in the RabbitMQ queue {queue}_error. Fix the cause, then move it back to {queue} to replay it " +
            "(docs/performance.md, 'Poison messages and replay'); consumers are idempotent, so a replay never signs twice.",
            artifact,
            time.GetUtcNow()), context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message} for {Project}/{Repository}@{Digest} failed all retries in {Queue}: {Reason}; moved to the error queue, operator alert raised")]
    private static partial void LogPoison(ILogger logger, string message, string queue, string project, string repository, string digest, string reason);
}
