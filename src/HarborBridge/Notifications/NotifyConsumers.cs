using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;
using MassTransit;

namespace HarborBridge.Notifications;

// One consumer per input message: each only turns its event into a NotificationEvent and hands it to the dispatcher.

internal sealed class NotifyWarnedConsumer(NotificationDispatcher dispatcher) : IConsumer<ArtifactWarned>
{
    public Task Consume(ConsumeContext<ArtifactWarned> context) =>
        dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
}

/// <summary>Enforced blocks are announced by <see cref="ArtifactQuarantined"/> once quarantine took effect, so only
/// dry-run blocks ("would be quarantined") are notified here: one message per change, not two.</summary>
internal sealed class NotifyBlockedConsumer(NotificationDispatcher dispatcher) : IConsumer<ArtifactBlocked>
{
    public Task Consume(ConsumeContext<ArtifactBlocked> context) => context.Message.Enforced
        ? Task.CompletedTask
        : dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
}

internal sealed class NotifyQuarantinedConsumer(NotificationDispatcher dispatcher) : IConsumer<ArtifactQuarantined>
{
    public Task Consume(ConsumeContext<ArtifactQuarantined> context) =>
        dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
}

internal sealed class NotifyReleasedConsumer(NotificationDispatcher dispatcher) : IConsumer<ArtifactReleased>
{
    public Task Consume(ConsumeContext<ArtifactReleased> context) =>
        dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
}

internal sealed class NotifyAtRiskConsumer(NotificationDispatcher dispatcher) : IConsumer<ArtifactAtRisk>
{
    public Task Consume(ConsumeContext<ArtifactAtRisk> context) =>
        dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
}

internal sealed class NotifyExceptionExpiringConsumer(NotificationDispatcher dispatcher) : IConsumer<ExceptionExpiring>
{
    public Task Consume(ConsumeContext<ExceptionExpiring> context) =>
        dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
}

/// <summary>An alert that names a cause joins its cause's batch (<see cref="OperatorAlertAggregator"/>); others go out at once.</summary>
internal sealed class NotifyOperatorAlertConsumer(NotificationDispatcher dispatcher, OperatorAlertAggregator aggregator) : IConsumer<OperatorAlertRaised>
{
    public Task Consume(ConsumeContext<OperatorAlertRaised> context)
    {
        if (context.Message.Cause is { Length: > 0 })
        {
            aggregator.Add(context.Message);
            return Task.CompletedTask;
        }

        return dispatcher.DispatchAsync(NotificationEvent.From(context.Message), context, context.CancellationToken);
    }
}

/// <summary>A new exception request goes to the owners of its scope, an outcome to the requester's team.</summary>
internal sealed class NotifyExceptionRequestConsumer(NotificationDispatcher dispatcher, Microsoft.Extensions.Options.IOptions<NotificationOptions> options)
    : IConsumer<ExceptionRequestChanged>
{
    public Task Consume(ConsumeContext<ExceptionRequestChanged> context) =>
        dispatcher.DispatchAsync(NotificationEvent.From(context.Message, options.Value.PublicUrl), context, context.CancellationToken);
}
