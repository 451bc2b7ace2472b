using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;

namespace HarborBridge.Persistence;

/// <summary>Dapper implementation of <see cref="IArtifactStore"/>; the SQL runs unchanged on SQLite and PostgreSQL.</summary>
internal sealed class SqlArtifactStore(DbConnectionFactory connections, TimeProvider time, Hosting.PipelineMetrics metrics, ILogger<SqlArtifactStore> logger) : IArtifactStore
{
    private const string ArtifactColumns =
        "project, repository, digest, state, media_type AS MediaType, pusher, pushed_at AS PushedAt, " +
        "first_seen_at AS FirstSeenAt, updated_at AS UpdatedAt, deleted_at AS DeletedAt";

    public async Task<bool> RecordEventAsync(ArtifactEvent artifactEvent, ArtifactObservation? observation, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO artifact_events (event_id, event_type, project, repository, digest, tag, operator, occurred_at, recorded_at, details)
            VALUES (@EventId, @EventType, @Project, @Repository, @Digest, @Tag, @Operator, @OccurredAt, @now, @Details)
            ON CONFLICT (event_id) DO NOTHING
            """,
            new { artifactEvent.EventId, artifactEvent.EventType, artifactEvent.Project, artifactEvent.Repository, artifactEvent.Digest,
                artifactEvent.Tag, artifactEvent.Operator, artifactEvent.OccurredAt, now, artifactEvent.Details },
            transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        if (observation is not null)
        {
            var a = observation.Artifact;
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO artifacts (project, repository, digest, state, pusher, pushed_at, first_seen_at, updated_at, deleted_at)
                VALUES (@Project, @Repository, @Digest, @state, @Pusher, @PushedAt, @now, @now, @deletedAt)
                ON CONFLICT (project, repository, digest) DO UPDATE SET
                    pusher = COALESCE(artifacts.pusher, excluded.pusher),
                    pushed_at = COALESCE(artifacts.pushed_at, excluded.pushed_at),
                    updated_at = excluded.updated_at
                """,
                new { a.Project, a.Repository, a.Digest, state = ArtifactStates.Received, observation.Pusher, PushedAt = observation.Deleted ? null : observation.PushedAt,
                    now, deletedAt = (DateTimeOffset?)null },
                transaction, cancellationToken: cancellationToken));
            if (!await ApplyDeleteOrRevivalAsync(connection, transaction, artifactEvent, observation, cancellationToken))
            {
                // Another writer changed the artifact's state meanwhile: nothing of this event is kept, the message is retried.
                await transaction.RollbackAsync(cancellationToken);
                throw new InvalidOperationException($"The state of {a} changed while recording event {artifactEvent.EventId}; retry.");
            }
            if (observation.Tag is not null && !observation.Deleted)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO artifact_tags (project, repository, digest, tag, added_at) VALUES (@Project, @Repository, @Digest, @tag, @now)
                    ON CONFLICT (project, repository, digest, tag) DO NOTHING
                    """,
                    new { a.Project, a.Repository, a.Digest, tag = observation.Tag, now }, transaction, cancellationToken: cancellationToken));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>A delete moves the artifact to Deleted; a push of a deleted digest (newer than the delete) revives it as
    /// Received. Both go through the life cycle like every state write. False when the compare-and-set lost.</summary>
    private async Task<bool> ApplyDeleteOrRevivalAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction,
        ArtifactEvent artifactEvent, ArtifactObservation observation, CancellationToken cancellationToken)
    {
        LifecycleCause cause = observation.Deleted
            ? new DeletedCause(artifactEvent.OccurredAt)
            : new PushedCause(observation.PushedAt ?? artifactEvent.OccurredAt);
        var (result, _) = await LifecycleSql.ApplyAsync(connection, transaction, new LifecycleChange(observation.Artifact, cause,
            $"{artifactEvent.EventId}:{cause.Kind}", observation.Deleted ? "deleted in Harbor" : "pushed again after its deletion",
            artifactEvent.Operator ?? "harbor", time.GetUtcNow(), SkipIfUnchanged: true), time.GetUtcNow(), cancellationToken);
        if (result is { Refused: true })
        {
            logger.LogWarning("Event {EventId} ({EventType}) does not change {Artifact}: {Refusal}", artifactEvent.EventId, artifactEvent.EventType,
                observation.Artifact, result.Step.Refusal);
            metrics.TransitionRefused(result.From, cause.Kind);
        }

        return result is not null;
    }

    public async Task<IReadOnlyList<ArtifactRecord>> FindByDigestAsync(string digest, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ArtifactRow>(new CommandDefinition(
            $"SELECT {ArtifactColumns} FROM artifacts WHERE digest = @digest ORDER BY project, repository", new { digest }, cancellationToken: cancellationToken));
        return await WithTagsAsync(connection, rows.ToList(), cancellationToken);
    }

    public async Task<IReadOnlyList<ArtifactRecord>> ListAsync(string? state, string? project, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ArtifactRow>(new CommandDefinition(
            $"""
            SELECT {ArtifactColumns} FROM artifacts
            WHERE (@state IS NULL OR state = @state) AND (@project IS NULL OR project = @project)
            ORDER BY updated_at DESC, digest, project, repository LIMIT @limit OFFSET @offset
            """,
            new { state, project, limit, offset }, cancellationToken: cancellationToken));
        return await WithTagsAsync(connection, rows.ToList(), cancellationToken);
    }

    public async Task<IReadOnlyList<ArtifactEvent>> GetEventsAsync(string digest, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            """
            SELECT event_id AS EventId, event_type AS EventType, project, repository, digest, tag, operator,
                   occurred_at AS OccurredAt, details
            FROM artifact_events WHERE digest = @digest ORDER BY occurred_at, recorded_at
            """,
            new { digest }, cancellationToken: cancellationToken));
        return rows.Select(r => new ArtifactEvent(r.EventId, r.EventType, r.Project, r.Repository, r.Digest, r.Tag, r.Operator, r.OccurredAt, r.Details)).ToList();
    }

    public async Task<bool> EventExistsAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM artifact_events WHERE event_id = @eventId", new { eventId }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<int> CountEventsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM artifact_events", cancellationToken: cancellationToken));
    }

    private static async Task<IReadOnlyList<ArtifactRecord>> WithTagsAsync(System.Data.Common.DbConnection connection, List<ArtifactRow> rows, CancellationToken cancellationToken)
    {
        var result = new List<ArtifactRecord>(rows.Count);
        foreach (var row in rows)
        {
            var tags = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT tag FROM artifact_tags WHERE project = @Project AND repository = @Repository AND digest = @Digest ORDER BY added_at, tag",
                new { row.Project, row.Repository, row.Digest }, cancellationToken: cancellationToken));
            result.Add(new ArtifactRecord(new ArtifactRef(row.Project, row.Repository, row.Digest), row.State, row.MediaType, row.Pusher,
                row.PushedAt, row.FirstSeenAt, row.UpdatedAt, row.DeletedAt, tags.ToList()));
        }

        return result;
    }

    private sealed class ArtifactRow
    {
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string State { get; init; } = "";
        public string? MediaType { get; init; }
        public string? Pusher { get; init; }
        public DateTimeOffset? PushedAt { get; init; }
        public DateTimeOffset FirstSeenAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public DateTimeOffset? DeletedAt { get; init; }
    }

    private sealed class EventRow
    {
        public string EventId { get; init; } = "";
        public string EventType { get; init; } = "";
        public string? Project { get; init; }
        public string? Repository { get; init; }
        public string? Digest { get; init; }
        public string? Tag { get; init; }
        public string? Operator { get; init; }
        public DateTimeOffset OccurredAt { get; init; }
        public string? Details { get; init; }
    }
}
