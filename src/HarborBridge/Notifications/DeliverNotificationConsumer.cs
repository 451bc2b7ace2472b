using HarborBridge.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Notifications;

/// <summary>Sends one notification to one channel. A failure throws, so MassTransit retries with growing delays and
/// finally moves the message to <c>deliver-notification_error</c>, from where it can be replayed. A notification id that
/// was delivered already (routing published it twice, the broker redelivered it, a replay) is dropped.</summary>
internal sealed class DeliverNotificationConsumer(IEnumerable<IChannelSender> senders, IOptionsMonitor<NotificationOptions> options,
    NotificationDeliveryLog deliveries, ILogger<DeliverNotificationConsumer> logger) : IConsumer<DeliverNotification>
{
    public async Task Consume(ConsumeContext<DeliverNotification> context)
    {
        var n = context.Message;
        if (!options.CurrentValue.Channels.TryGetValue(n.Channel, out var channel) || channel.Type is not { } type)
        {
            throw new ChannelDeliveryException($"Channel '{n.Channel}' is not configured (HarborBridge:Notifications:Channels:{n.Channel}).");
        }

        var sender = senders.First(s => s.Type == type);
        if (!await deliveries.DeliverOnceAsync(n.NotificationId, n.Channel, ct => sender.SendAsync(n, channel, ct), context.CancellationToken))
        {
            logger.LogInformation("Notification {NotificationId} to {Channel} was delivered before; duplicate dropped", n.NotificationId, n.Channel);
            return;
        }

        logger.LogInformation("Notification {NotificationId} delivered to {Channel} ({ChannelType})", n.NotificationId, n.Channel, type);
    }
}
