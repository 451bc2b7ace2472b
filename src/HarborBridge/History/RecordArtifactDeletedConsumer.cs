using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using MassTransit;

namespace HarborBridge.History;

/// <summary>Records DELETE_ARTIFACT. The artifact moves to Deleted only when Harbor confirms it is gone: a forged event (sent
/// with the webhook secret) is kept in the history with no effect, counted as a refused transition and raised to the operator
/// once, because moving a quarantined artifact to Deleted would take it out of every rescan and deadline.</summary>
internal sealed class RecordArtifactDeletedConsumer(ArtifactHistory history, IDeletionCheck check, IDecisionStore decisions, Hosting.PipelineMetrics metrics,
    TimeProvider time, ILogger<RecordArtifactDeletedConsumer> logger) : IConsumer<ArtifactDeleted>
{
    public async Task Consume(ConsumeContext<ArtifactDeleted> context)
    {
        var m = context.Message;
        // The recorded status is read only when Harbor still has the artifact (record-only mode never asks), and once.
        Task<ArtifactStatus?>? status = null;
        Task<ArtifactStatus?> StatusAsync(CancellationToken cancellationToken) => status ??= decisions.GetStatusAsync(m.Artifact, cancellationToken);

        var refusal = await check.StillPresentAsync(m.Artifact, async cancellationToken => (await StatusAsync(cancellationToken))?.PushedAt,
            context.CancellationToken);
        if (refusal is null)
        {
            await history.RecordAsync(m.EventId, "DELETE_ARTIFACT", m.Artifact, m.Tag, m.Operator, m.OccurredAt, null,
                new ArtifactObservation(m.Artifact, m.Tag, Pusher: null, PushedAt: null, Deleted: true), context.CancellationToken);
            return;
        }

        logger.LogWarning("DELETE_ARTIFACT {EventId} for {Project}/{Repository}@{Digest} ignored: {Refusal}", m.EventId, m.Artifact.Project,
            m.Artifact.Repository, m.Artifact.Digest, refusal);
        if ((await StatusAsync(context.CancellationToken))?.State is { } state)
        {
            metrics.TransitionRefused(state, new DeletedCause(m.OccurredAt).Kind);
        }

        await history.RecordAsync(new ArtifactEvent(m.EventId, "DELETE_ARTIFACT", m.Artifact.Project, m.Artifact.Repository, m.Artifact.Digest, m.Tag,
            m.Operator, m.OccurredAt, $"ignored: {refusal}"), observation: null, context.CancellationToken);
        await context.Publish(RefusedEventAlert.For("delete", m.EventId, "DELETE_ARTIFACT", m.Artifact,
            $"{refusal}, so its state is unchanged", "nobody deleted it and Harbor did not send this event", time.GetUtcNow()), context.CancellationToken);
    }
}
