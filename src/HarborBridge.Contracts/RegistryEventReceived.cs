namespace HarborBridge.Contracts;

/// <summary>A project-level Harbor event that concerns no single artifact decision: QUOTA_EXCEED,
/// QUOTA_WARNING, REPLICATION or TAG_RETENTION. Kept in the event history.</summary>
/// <param name="EventType">Harbor's event type name, e.g. <c>QUOTA_EXCEED</c>.</param>
/// <param name="Project">Project concerned, when the payload names one.</param>
/// <param name="Digest">Artifact digest, when the payload names one (quota events do).</param>
/// <param name="Details">Short human-readable summary (Harbor's quota message, replication status, …).</param>
public sealed record RegistryEventReceived(
    string EventId,
    string EventType,
    string? Project,
    string? Repository,
    string? Digest,
    string? Operator,
    DateTimeOffset OccurredAt,
    string? Details);
