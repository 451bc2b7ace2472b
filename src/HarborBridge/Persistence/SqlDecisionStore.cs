using System.Data.Common;
using System.Text.Json;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Hosting;

namespace HarborBridge.Persistence;

/// <summary>Dapper implementation of <see cref="IDecisionStore"/>; the SQL runs unchanged on SQLite and PostgreSQL.</summary>
internal sealed class SqlDecisionStore(DbConnectionFactory connections, TimeProvider time, PipelineMetrics metrics, ILogger<SqlDecisionStore> logger) : IDecisionStore
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const int ConflictRetries = 20;

    public async Task<LifecycleResult> ApplyAsync(LifecycleChange change, CancellationToken cancellationToken)
    {
        // A lost compare-and-set means another writer moved the artifact between our read and our write: read again and
        // let the rules judge the cause against the state that won.
        for (var attempt = 0; ; attempt++)
        {
            await using var connection = await connections.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var (result, wrote) = await LifecycleSql.ApplyAsync(connection, transaction, change, time.GetUtcNow(), cancellationToken);
            if (result is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                if (attempt < ConflictRetries)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 + (attempt * 10))), cancellationToken);
                    continue;
                }

                throw new InvalidOperationException($"The state of {change.Artifact} kept changing under {change.Cause.Kind}; giving up for now.");
            }

            if (wrote)
            {
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(cancellationToken);
            }

            if (result.Refused)
            {
                metrics.TransitionRefused(result.From, change.Cause.Kind);
                logger.LogWarning("Refused {Cause} for {Project}/{Repository}@{Digest} in state {State}: {Refusal}",
                    change.Cause.Kind, change.Artifact.Project, change.Artifact.Repository, change.Artifact.Digest, result.From, result.Step.Refusal);
            }

            return result;
        }
    }

    public async Task<bool> CanRequestScanAsync(ArtifactRef artifact, string causeId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var status = await LifecycleSql.ReadStatusAsync(connection, null, artifact, cancellationToken);
        if (status is { } s && !ArtifactLifecycle.IsUndecided(s.State))
        {
            return false;
        }

        var recorded = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM artifact_transitions WHERE transition_id = @id",
            new { id = LifecycleSql.ScanTransitionId(causeId) }, cancellationToken: cancellationToken));
        return recorded == 0;
    }

    public async Task<ArtifactStatus?> GetStatusAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await LifecycleSql.ReadStatusAsync(connection, null, artifact, cancellationToken);
    }

    public async Task<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string digest, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await QueryDecisionsAsync(connection, "digest = @digest", new { digest }, cancellationToken);
    }

    public async Task<IReadOnlyList<ArtifactTransition>> GetTransitionsAsync(string digest, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<TransitionRow>(new CommandDefinition(
            """
            SELECT transition_id AS TransitionId, project, repository, digest, from_state AS FromState, to_state AS ToState,
                   cause, actor, decision_id AS DecisionId, at
            FROM artifact_transitions WHERE digest = @digest ORDER BY at, transition_id
            """, new { digest }, cancellationToken: cancellationToken));
        return rows.Select(r => new ArtifactTransition(r.TransitionId, new ArtifactRef(r.Project, r.Repository, r.Digest), r.FromState, r.ToState,
            r.Cause, r.Actor, r.DecisionId, r.At)).ToList();
    }

    public async Task<IReadOnlyList<StaleScan>> FindStaleScansAsync(DateTimeOffset requestedBefore, int maxAttempts, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<StaleRow>(new CommandDefinition(
            """
            SELECT project, repository, digest, state, CAST(scan_attempts AS BIGINT) AS Attempts, scan_requested_at AS RequestedAt,
                   updated_at AS UpdatedAt
            FROM artifacts
            WHERE deleted_at IS NULL AND ((state = @scanning AND scan_requested_at < @requestedBefore)
                                          OR (state = @failed AND scan_attempts < @maxAttempts))
            ORDER BY updated_at LIMIT @limit
            """,
            new { scanning = ArtifactStates.Scanning, failed = ArtifactStates.ScanFailed, requestedBefore, maxAttempts, limit },
            cancellationToken: cancellationToken));
        return rows.Select(r => new StaleScan(new ArtifactRef(r.Project, r.Repository, r.Digest), ArtifactLifecycle.Parse(r.State), (int)r.Attempts,
            r.RequestedAt, r.UpdatedAt)).ToList();
    }

    public async Task RecordChildrenAsync(ArtifactRef index, IReadOnlyList<string> childDigests, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var child in childDigests)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO artifact_children (project, repository, parent_digest, child_digest) VALUES (@Project, @Repository, @Digest, @child)
                ON CONFLICT (project, repository, parent_digest, child_digest) DO NOTHING
                """, new { index.Project, index.Repository, index.Digest, child }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ArtifactRef>> GetParentsAsync(ArtifactRef child, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var parents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT parent_digest FROM artifact_children WHERE project = @Project AND repository = @Repository AND child_digest = @Digest ORDER BY parent_digest",
            new { child.Project, child.Repository, child.Digest }, cancellationToken: cancellationToken));
        return parents.Select(p => child with { Digest = p }).ToList();
    }

    public async Task<IReadOnlyList<string>> GetChildrenAsync(ArtifactRef index, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT child_digest FROM artifact_children WHERE project = @Project AND repository = @Repository AND parent_digest = @Digest ORDER BY child_digest",
            new { index.Project, index.Repository, index.Digest }, cancellationToken: cancellationToken))).ToList();
    }

    internal static async Task<IReadOnlyList<DecisionRecord>> QueryDecisionsAsync(DbConnection connection, string where, object parameters, CancellationToken cancellationToken, DbTransaction? transaction = null)
    {
        var rows = await connection.QueryAsync<DecisionRow>(new CommandDefinition(
            $"""
            SELECT decision_id AS DecisionId, project, repository, digest, tag, verdict, enforced, policy_version AS PolicyVersion,
                   report_digest AS ReportDigest, reason, cause, decided_at AS DecidedAt, findings_json AS FindingsJson, decision_json AS DecisionJson
            FROM decisions WHERE {where} ORDER BY decided_at, decision_id
            """, parameters, transaction, cancellationToken: cancellationToken));
        return rows.Select(r => new DecisionRecord(r.DecisionId, new ArtifactRef(r.Project, r.Repository, r.Digest), r.Tag, r.Verdict, r.Enforced != 0,
            r.PolicyVersion, r.ReportDigest, r.Reason, r.Cause, r.DecidedAt,
            JsonSerializer.Deserialize<List<DecidingFinding>>(r.FindingsJson, Json) ?? [], r.DecisionJson)).ToList();
    }

    private sealed class DecisionRow
    {
        public string DecisionId { get; init; } = "";
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string? Tag { get; init; }
        public string Verdict { get; init; } = "";
        public long Enforced { get; init; }
        public string PolicyVersion { get; init; } = "";
        public string ReportDigest { get; init; } = "";
        public string Reason { get; init; } = "";
        public string Cause { get; init; } = "";
        public DateTimeOffset DecidedAt { get; init; }
        public string FindingsJson { get; init; } = "";
        public string DecisionJson { get; init; } = "";
    }

    private sealed class StaleRow
    {
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string State { get; init; } = "";
        public long Attempts { get; init; }
        public DateTimeOffset? RequestedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
    }

    private sealed class TransitionRow
    {
        public string TransitionId { get; init; } = "";
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string? FromState { get; init; }
        public string ToState { get; init; } = "";
        public string Cause { get; init; } = "";
        public string Actor { get; init; } = "";
        public string? DecisionId { get; init; }
        public DateTimeOffset At { get; init; }
    }
}
