using HarborBridge.Contracts;
using MassTransit;
using Quartz;

namespace HarborBridge.Notifications;

/// <summary>Publishes <see cref="SendNotificationDigest"/> for the 24 hours before now. It only publishes; the consumer builds the digests.</summary>
[DisallowConcurrentExecution]
internal sealed class NotificationDigestJob(IBus bus, TimeProvider time) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await bus.Publish(new SendNotificationDigest(now - TimeSpan.FromDays(1), now), cancellationToken);
    }
}
