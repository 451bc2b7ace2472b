using HarborBridge.Contracts;

namespace HarborBridge.Core.Artifacts;

/// <summary>Life-cycle states of an artifact as stored and shown (the names of <see cref="ArtifactState"/>; the rules are
/// <see cref="ArtifactLifecycle"/>'s).</summary>
public static class ArtifactStates
{
    public const string Received = "Received";
    public const string Scanning = "Scanning";
    public const string Approved = "Approved";
    public const string Warned = "Warned";
    public const string Quarantined = "Quarantined";
    public const string ScanFailed = "ScanFailed";
    public const string AtRisk = "AtRisk";
    public const string Released = "Released";
    public const string Deleted = "Deleted";

    public static readonly IReadOnlyList<string> All = Enum.GetNames<ArtifactState>();
}

/// <summary>One Harbor event as kept in an artifact's history.</summary>
public sealed record ArtifactEvent(
    string EventId,
    string EventType,
    string? Project,
    string? Repository,
    string? Digest,
    string? Tag,
    string? Operator,
    DateTimeOffset OccurredAt,
    string? Details);

/// <summary>What an event says about the artifact itself (beyond its history entry).</summary>
/// <param name="Pusher">Set by pushes; kept from the first push that names one.</param>
/// <param name="Deleted">True when Harbor deleted the artifact.</param>
public sealed record ArtifactObservation(ArtifactRef Artifact, string? Tag, string? Pusher, DateTimeOffset? PushedAt, bool Deleted);

/// <summary>An artifact as HarborBridge knows it.</summary>
public sealed record ArtifactRecord(
    ArtifactRef Artifact,
    string State,
    string? MediaType,
    string? Pusher,
    DateTimeOffset? PushedAt,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    IReadOnlyList<string> Tags);

/// <summary>Persistence port for artifacts and their event history.</summary>
public interface IArtifactStore
{
    /// <summary>Records the event and its effect on the artifact in one transaction. Returns false, and
    /// changes nothing, when an event with the same id was recorded before (a redelivery or Harbor retry).</summary>
    Task<bool> RecordEventAsync(ArtifactEvent artifactEvent, ArtifactObservation? observation, CancellationToken cancellationToken);

    Task<IReadOnlyList<ArtifactRecord>> FindByDigestAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Artifacts changed most recently first; <paramref name="offset"/> rows skipped (paging).</summary>
    Task<IReadOnlyList<ArtifactRecord>> ListAsync(string? state, string? project, int limit, int offset, CancellationToken cancellationToken);

    Task<IReadOnlyList<ArtifactEvent>> GetEventsAsync(string digest, CancellationToken cancellationToken);

    Task<bool> EventExistsAsync(string eventId, CancellationToken cancellationToken);

    Task<int> CountEventsAsync(CancellationToken cancellationToken);
}
