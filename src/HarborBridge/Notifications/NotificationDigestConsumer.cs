using System.Globalization;
using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;
using MassTransit;

namespace HarborBridge.Notifications;

/// <summary>Builds each team's digest of what it was told in the period (warned, quarantined, released, …) and publishes
/// one <see cref="DeliverNotification"/> per channel of the team. Teams with nothing to report get nothing.</summary>
internal sealed class NotificationDigestConsumer(RoutingProvider routing, NotificationLog log) : IConsumer<SendNotificationDigest>
{
    public async Task Consume(ConsumeContext<SendNotificationDigest> context)
    {
        var (from, to) = (context.Message.From, context.Message.To);
        var sent = await log.ListSentAsync(from, to, context.CancellationToken);
        foreach (var (route, channels) in routing.Current.DigestRoutes())
        {
            var items = sent.Where(s => s.Route == route).DistinctBy(s => (s.Subject, s.Verdict)).ToList();
            if (items.Count == 0)
            {
                continue;
            }

            var content = NotificationDigest.Render(route, from, to,
                items.Select(i => new DigestEntry(i.Verdict, new ArtifactRef(i.Project ?? "", i.Repository ?? "", i.Digest ?? ""), i.Tag)).ToList());
            foreach (var channel in channels)
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"digest:{route}:{to.UtcDateTime:yyyyMMddHHmm}:{channel}");
                await context.Publish(new DeliverNotification(id, channel, route, "trigger", $"harborbridge:digest:{route}", content, to), context.CancellationToken);
            }
        }
    }
}
