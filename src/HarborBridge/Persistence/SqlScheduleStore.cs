using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Scheduling;

namespace HarborBridge.Persistence;

/// <summary>Dapper implementation of <see cref="IScheduleStore"/>; the SQL runs unchanged on SQLite and PostgreSQL.</summary>
internal sealed class SqlScheduleStore(DbConnectionFactory connections) : IScheduleStore
{
    public async Task<DateTimeOffset?> GetWatermarkAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<DateTimeOffset>(new CommandDefinition(
            "SELECT value FROM schedule_watermarks WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return rows.Select(r => (DateTimeOffset?)r).FirstOrDefault();
    }

    public async Task SetWatermarkAsync(string name, DateTimeOffset value, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO schedule_watermarks (name, value, updated_at) VALUES (@name, @value, @at)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """, new { name, value, at }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<RescanCandidate>> TakeRescanBatchAsync(
        IReadOnlyList<string> states, DateTimeOffset requestedBefore, int limit, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string Project, string Repository, string Digest, string State)>(new CommandDefinition(
            $"""
            SELECT project, repository, digest, state FROM artifacts
            WHERE state {In("states")} AND deleted_at IS NULL AND (rescan_requested_at IS NULL OR rescan_requested_at < @requestedBefore)
            ORDER BY COALESCE(pushed_at, first_seen_at) DESC, digest
            LIMIT @limit
            """, new { states = states.ToArray(), requestedBefore, limit }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var r in rows)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE artifacts SET rescan_requested_at = @at WHERE project = @Project AND repository = @Repository AND digest = @Digest",
                new { at, r.Project, r.Repository, r.Digest }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return rows.Select(r => new RescanCandidate(new ArtifactRef(r.Project, r.Repository, r.Digest), r.State)).ToList();
    }

    public async Task<bool> OpenAtRiskAsync(AtRiskDeadline deadline, CancellationToken cancellationToken)
    {
        var a = deadline.Artifact;
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO at_risk_deadlines (project, repository, digest, decision_id, fix_by, reason, created_at, resolved_at, resolution)
            VALUES (@Project, @Repository, @Digest, @DecisionId, @FixBy, @Reason, @CreatedAt, NULL, NULL)
            ON CONFLICT (project, repository, digest) DO UPDATE
                SET decision_id = excluded.decision_id, fix_by = excluded.fix_by, reason = excluded.reason,
                    created_at = excluded.created_at, resolved_at = NULL, resolution = NULL
                WHERE at_risk_deadlines.resolved_at IS NOT NULL
            """,
            new { a.Project, a.Repository, a.Digest, deadline.DecisionId, deadline.FixBy, deadline.Reason, deadline.CreatedAt },
            cancellationToken: cancellationToken)) > 0;
    }

    public async Task<AtRiskDeadline?> GetAtRiskAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return (await QueryAtRiskAsync(connection, "project = @Project AND repository = @Repository AND digest = @Digest",
            new { artifact.Project, artifact.Repository, artifact.Digest }, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<AtRiskDeadline>> FindExpiredAtRiskAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await QueryAtRiskAsync(connection, "resolved_at IS NULL AND fix_by <= @now ORDER BY fix_by LIMIT @limit", new { now, limit }, cancellationToken);
    }

    public async Task<bool> ResolveAtRiskAsync(ArtifactRef artifact, string resolution, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE at_risk_deadlines SET resolved_at = @at, resolution = @resolution
            WHERE project = @Project AND repository = @Repository AND digest = @Digest AND resolved_at IS NULL
            """, new { at, resolution, artifact.Project, artifact.Repository, artifact.Digest }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<bool> TryRecordReminderAsync(string key, string exceptionId, string scope, string kind, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO exception_reminders (reminder_key, exception_id, scope, kind, sent_at) VALUES (@key, @exceptionId, @scope, @kind, @at)
            ON CONFLICT (reminder_key) DO NOTHING
            """, new { key, exceptionId, scope, kind, at }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<IReadOnlySet<string>> KnownDigestsAsync(string project, string repository, IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
    {
        if (digests.Count == 0)
        {
            return new HashSet<string>();
        }

        await using var connection = await connections.OpenAsync(cancellationToken);
        var known = await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT digest FROM artifacts WHERE project = @project AND repository = @repository AND digest {In("digests")}",
            new { project, repository, digests = digests.ToArray() }, cancellationToken: cancellationToken));
        return known.ToHashSet(StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<RescanCandidate>> ListInStatesAsync(IReadOnlyList<string> states, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Project, string Repository, string Digest, string State)>(new CommandDefinition(
            $"""
            SELECT project, repository, digest, state FROM artifacts WHERE state {In("states")} AND deleted_at IS NULL
            ORDER BY COALESCE(pushed_at, first_seen_at) DESC, digest LIMIT @limit
            """, new { states = states.ToArray(), limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new RescanCandidate(new ArtifactRef(r.Project, r.Repository, r.Digest), r.State)).ToList();
    }

    public async Task RecordJobRunAsync(string fireInstanceId, string jobName, DateTimeOffset scheduledAt, DateTimeOffset firedAt, string instance, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO scheduled_job_runs (fire_instance_id, job_name, scheduled_at, fired_at, instance)
            VALUES (@fireInstanceId, @jobName, @scheduledAt, @firedAt, @instance)
            """, new { fireInstanceId, jobName, scheduledAt, firedAt, instance }, cancellationToken: cancellationToken));
    }

    /// <summary>A list parameter: PostgreSQL takes it as one array (<c>= ANY</c>); on SQLite Dapper expands it for <c>IN</c>.</summary>
    private string In(string parameter) => connections.Provider == Hosting.DatabaseProvider.Postgres ? $"= ANY(@{parameter})" : $"IN @{parameter}";

    private static async Task<IReadOnlyList<AtRiskDeadline>> QueryAtRiskAsync(System.Data.Common.DbConnection connection, string where, object parameters, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<AtRiskRow>(new CommandDefinition(
            $"""
            SELECT project, repository, digest, decision_id AS DecisionId, fix_by AS FixBy, reason, created_at AS CreatedAt,
                   resolved_at AS ResolvedAt, resolution
            FROM at_risk_deadlines WHERE {where}
            """, parameters, cancellationToken: cancellationToken));
        return rows.Select(r => new AtRiskDeadline(new ArtifactRef(r.Project, r.Repository, r.Digest), r.DecisionId, r.FixBy, r.Reason,
            r.CreatedAt, r.ResolvedAt, r.Resolution)).ToList();
    }

    private sealed class AtRiskRow
    {
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string DecisionId { get; init; } = "";
        public DateTimeOffset FixBy { get; init; }
        public string Reason { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? ResolvedAt { get; init; }
        public string? Resolution { get; init; }
    }
}
