namespace HarborBridge.Contracts;

/// <summary>Command: send one rendered notification to one configured channel. Each send is its own message, so a
/// slow or broken channel retries (and finally lands in the error queue) without holding up anything else.</summary>
/// <param name="NotificationId">Unique per (event, channel); receivers can use it to drop duplicates.</param>
/// <param name="Channel">Channel name as configured under <c>HarborBridge:Notifications:Channels</c>.</param>
/// <param name="Route">The route that chose the channel (a team name, <c>on-call</c> or <c>default</c>).</param>
/// <param name="Action"><c>trigger</c> for news; <c>resolve</c> when a page about this artifact can be closed (release).</param>
/// <param name="IncidentKey">Stable per artifact (or per operator alert): PagerDuty's <c>dedup_key</c>.</param>
public sealed record DeliverNotification(
    string NotificationId,
    string Channel,
    string Route,
    string Action,
    string IncidentKey,
    NotificationContent Content,
    DateTimeOffset CreatedAt);
