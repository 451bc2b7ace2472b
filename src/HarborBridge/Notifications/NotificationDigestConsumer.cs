using System.Globalization;
using HarborBridge.Contracts;
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

            var content = NotificationDigest.Render(route, from, to, items);
            foreach (var channel in channels)
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"digest:{route}:{to.UtcDateTime:yyyyMMddHHmm}:{channel}");
                await context.Publish(new DeliverNotification(id, channel, route, "trigger", $"harborbridge:digest:{route}", content, to), context.CancellationToken);
            }
        }
    }
}

internal static class NotificationDigest
{
    private static readonly string[] Order = ["quarantined", "blocked", "at-risk", "warned", "released"];

    public static NotificationContent Render(string route, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<SentNotification> items)
    {
        var groups = items.GroupBy(i => i.Verdict).OrderBy(g => Array.IndexOf(Order, g.Key) is var i && i < 0 ? int.MaxValue : i).ToList();
        var counts = string.Join(", ", groups.Select(g => $"{g.Count()} {g.Key}"));
        var facts = new List<NotificationFact>
        {
            new("Team", route),
            new("Period", string.Create(CultureInfo.InvariantCulture, $"{from.UtcDateTime:yyyy-MM-dd HH:mm} to {to.UtcDateTime:yyyy-MM-dd HH:mm} UTC")),
        };
        foreach (var g in groups)
        {
            facts.Add(new(g.Key, string.Join("\n", g.Select(i => $"{i.Project}/{i.Repository}{(i.Tag is { Length: > 0 } t ? ":" + t : "")}@{i.Digest}"))));
        }

        return new NotificationContent("digest", "info", $"Daily digest for {route}: {counts}",
            $"In the last period {route} was told about {items.Count} artifact change(s): {counts}.", null, null, facts, [], [], [],
            "Open the artifacts listed to see their findings; quarantined ones need a fixed image or an exception.", []);
    }
}
