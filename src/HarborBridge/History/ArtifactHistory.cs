using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;

namespace HarborBridge.History;

/// <summary>Records Harbor events in the artifact history; shared by the recording consumers so that
/// each consumer stays one line of intent.</summary>
internal sealed class ArtifactHistory(IArtifactStore store, ILogger<ArtifactHistory> logger)
{
    public Task RecordAsync(string eventId, string eventType, ArtifactRef artifact, string? tag, string? @operator,
        DateTimeOffset occurredAt, string? details, ArtifactObservation observation, CancellationToken cancellationToken) =>
        RecordAsync(new ArtifactEvent(eventId, eventType, artifact.Project, artifact.Repository, artifact.Digest, tag, @operator, occurredAt, details),
            observation, cancellationToken);

    public async Task RecordAsync(ArtifactEvent artifactEvent, ArtifactObservation? observation, CancellationToken cancellationToken)
    {
        var recorded = await store.RecordEventAsync(artifactEvent, observation, cancellationToken);
        if (recorded)
        {
            logger.LogInformation("Recorded {EventType} {EventId} for {Project}/{Repository}@{Digest}",
                artifactEvent.EventType, artifactEvent.EventId, artifactEvent.Project, artifactEvent.Repository, artifactEvent.Digest);
        }
        else
        {
            logger.LogInformation("Event {EventId} was already recorded; redelivery ignored", artifactEvent.EventId);
        }
    }
}
