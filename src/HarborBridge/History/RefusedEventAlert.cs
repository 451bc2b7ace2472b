using HarborBridge.Contracts;

namespace HarborBridge.History;

/// <summary>The operator alert for a life-cycle event refused because Harbor's own state contradicts it: a SCANNING_FAILED
/// for a scan that did not fail, a DELETE_ARTIFACT for an artifact still there. Its key names the event, so a redelivery
/// raises nothing new; the detail says why the event was refused and when it would be a forgery.</summary>
internal static class RefusedEventAlert
{
    /// <param name="kind">Part of the key: <c>scan-failure</c>, <c>delete</c>.</param>
    /// <param name="eventId">The refused event's id (webhook event id or cause id).</param>
    /// <param name="eventName">Harbor's event type, e.g. <c>DELETE_ARTIFACT</c>.</param>
    /// <param name="why">Why it was refused and what stays as it was.</param>
    /// <param name="ifNotGenuine">The condition under which the event cannot have come from Harbor.</param>
    public static OperatorAlertRaised For(
        string kind, string eventId, string eventName, ArtifactRef artifact, string why, string ifNotGenuine, DateTimeOffset at) =>
        new($"refused-{kind}:{eventId}:{artifact}", "lifecycle",
            $"Ignored a {eventName} event for {artifact.Project}/{artifact.Repository}@{artifact.Digest}",
            $"{why}. If {ifNotGenuine}, someone may be sending forged webhooks with the webhook auth header.", artifact, at);
}
