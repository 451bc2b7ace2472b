using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Notifications;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Notifications;

/// <summary>Routes an event to its channels, drops duplicates and flapping, renders the message and publishes one
/// <see cref="DeliverNotification"/> per channel. It never talks to a channel itself, so the decision consumers that
/// publish the events are never held up by a slow or dead channel.</summary>
internal sealed class NotificationDispatcher(
    RoutingProvider routing,
    NotificationLog log,
    IArtifactStore artifacts,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger)
{
    public async Task DispatchAsync(NotificationEvent e, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var targets = routing.Current.Resolve(e.Kind, e.Artifact, e.Findings);
        if (targets.Count == 0)
        {
            return;
        }

        var settings = options.Value;
        var links = new NotificationLinks(settings.HarborArtifactUrl, settings.PublicUrl);
        var pushedBy = e.Artifact is null ? null : await PushedByAsync(e.Artifact, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var target in targets)
        {
            var (send, change) = await log.TryClaimAsync(e, target, now, settings.FlapWindow, cancellationToken);
            if (!send)
            {
                logger.LogInformation("Notification {Verdict} for {Subject} to {Channel} suppressed (already sent)", e.Verdict, e.Subject, target.Channel);
                continue;
            }

            var content = NotificationRenderer.Render(e, links, pushedBy, change);
            var action = e.Kind == NotificationKind.Released ? NotificationActions.Resolve : NotificationActions.Trigger;
            await publisher.Publish(new DeliverNotification($"{e.EventId}:{e.Verdict}:{target.Channel}", target.Channel, target.Route, action,
                e.IncidentKey, content, now), cancellationToken);
        }
    }

    private async Task<string?> PushedByAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        var events = await artifacts.GetEventsAsync(artifact.Digest, cancellationToken);
        return events.Where(x => x.EventType.Contains("PUSH", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(x.Operator))
            .OrderByDescending(x => x.OccurredAt).Select(x => x.Operator).FirstOrDefault();
    }
}
