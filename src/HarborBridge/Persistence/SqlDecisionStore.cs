using System.Data.Common;
using System.Text.Json;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;

namespace HarborBridge.Persistence;

/// <summary>Dapper implementation of <see cref="IDecisionStore"/>; the SQL runs unchanged on SQLite and PostgreSQL.</summary>
internal sealed class SqlDecisionStore(DbConnectionFactory connections, TimeProvider time) : IDecisionStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // States a new scan may start from; a decided artifact is only re-judged through a decision.
    private static readonly string[] ScannableStates = [ArtifactStates.Received, ArtifactStates.Scanning, ArtifactStates.ScanFailed];

    public async Task<bool> MarkScanRequestedAsync(ArtifactRef artifact, string causeId, string actor, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await EnsureArtifactAsync(connection, transaction, artifact, at, cancellationToken);
        if (!ScannableStates.Contains(current))
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        var inserted = await InsertTransitionAsync(connection, transaction,
            new ArtifactTransition(ScanTransitionId(causeId), artifact, current, ArtifactStates.Scanning, "scan requested", actor, null, at), cancellationToken);
        if (!inserted)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE artifacts SET state = @state, scan_requested_at = @at, scan_attempts = scan_attempts + 1, updated_at = @at
            WHERE project = @Project AND repository = @Repository AND digest = @Digest
            """,
            new { state = ArtifactStates.Scanning, at, artifact.Project, artifact.Repository, artifact.Digest }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static string ScanTransitionId(string causeId) => $"{causeId}:scan";

    public async Task<bool> CanRequestScanAsync(ArtifactRef artifact, string causeId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var state = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT state FROM artifacts WHERE project = @Project AND repository = @Repository AND digest = @Digest",
            new { artifact.Project, artifact.Repository, artifact.Digest }, cancellationToken: cancellationToken));
        if (state is not null && !ScannableStates.Contains(state))
        {
            return false;
        }

        var recorded = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM artifact_transitions WHERE transition_id = @id",
            new { id = ScanTransitionId(causeId) }, cancellationToken: cancellationToken));
        return recorded == 0;
    }

    public async Task<(DecisionRecord Decision, bool Inserted)> RecordDecisionAsync(DecisionRecord decision, string newState, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var a = decision.Artifact;
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO decisions (decision_id, project, repository, digest, tag, verdict, enforced, policy_version, report_digest,
                                   reason, cause, decided_at, findings_json, decision_json)
            VALUES (@DecisionId, @Project, @Repository, @Digest, @Tag, @Verdict, @enforced, @PolicyVersion, @ReportDigest,
                    @Reason, @Cause, @DecidedAt, @findings, @DecisionJson)
            ON CONFLICT (decision_id) DO NOTHING
            """,
            new { decision.DecisionId, a.Project, a.Repository, a.Digest, decision.Tag, decision.Verdict, enforced = decision.Enforced ? 1 : 0,
                decision.PolicyVersion, decision.ReportDigest, decision.Reason, decision.Cause, decision.DecidedAt,
                findings = JsonSerializer.Serialize(decision.Findings, Json), decision.DecisionJson },
            transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            var stored = (await QueryDecisionsAsync(connection, "decision_id = @id", new { id = decision.DecisionId }, cancellationToken)).Single();
            return (stored, false);
        }

        var current = await EnsureArtifactAsync(connection, transaction, a, decision.DecidedAt, cancellationToken);
        await InsertTransitionAsync(connection, transaction,
            new ArtifactTransition($"{decision.DecisionId}:{newState}", a, current, newState, decision.Reason, "policy", decision.DecisionId, decision.DecidedAt),
            cancellationToken);
        await SetStateAsync(connection, transaction, a, newState, decision.DecidedAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (decision, true);
    }

    public async Task<bool> RecordTransitionAsync(ArtifactTransition transition, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await EnsureArtifactAsync(connection, transaction, transition.Artifact, transition.At, cancellationToken);
        if (!await InsertTransitionAsync(connection, transaction, transition with { FromState = current }, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await SetStateAsync(connection, transaction, transition.Artifact, transition.ToState, transition.At, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
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

    public async Task<IReadOnlyList<(ArtifactRef Artifact, int Attempts)>> FindStaleScansAsync(DateTimeOffset requestedBefore, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Project, string Repository, string Digest, long Attempts)>(new CommandDefinition(
            """
            SELECT project, repository, digest, CAST(scan_attempts AS BIGINT) FROM artifacts
            WHERE state = @state AND scan_requested_at < @requestedBefore AND deleted_at IS NULL
            ORDER BY scan_requested_at LIMIT @limit
            """,
            new { state = ArtifactStates.Scanning, requestedBefore, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => (new ArtifactRef(r.Project, r.Repository, r.Digest), (int)r.Attempts)).ToList();
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

    /// <summary>Inserts the artifact when a decision or scan arrives before its push was recorded; returns its state.</summary>
    private async Task<string> EnsureArtifactAsync(DbConnection connection, DbTransaction transaction, ArtifactRef a, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO artifacts (project, repository, digest, state, first_seen_at, updated_at)
            VALUES (@Project, @Repository, @Digest, @state, @now, @now)
            ON CONFLICT (project, repository, digest) DO NOTHING
            """,
            new { a.Project, a.Repository, a.Digest, state = ArtifactStates.Received, now = time.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT state FROM artifacts WHERE project = @Project AND repository = @Repository AND digest = @Digest",
            new { a.Project, a.Repository, a.Digest }, transaction, cancellationToken: cancellationToken)) ?? ArtifactStates.Received;
    }

    private static async Task<bool> InsertTransitionAsync(DbConnection connection, DbTransaction transaction, ArtifactTransition t, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO artifact_transitions (transition_id, project, repository, digest, from_state, to_state, cause, actor, decision_id, at)
            VALUES (@TransitionId, @Project, @Repository, @Digest, @FromState, @ToState, @Cause, @Actor, @DecisionId, @At)
            ON CONFLICT (transition_id) DO NOTHING
            """,
            new { t.TransitionId, t.Artifact.Project, t.Artifact.Repository, t.Artifact.Digest, t.FromState, t.ToState, t.Cause, t.Actor, t.DecisionId, t.At },
            transaction, cancellationToken: cancellationToken)) > 0;

    private static Task SetStateAsync(DbConnection connection, DbTransaction transaction, ArtifactRef a, string state, DateTimeOffset at, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE artifacts SET state = @state, updated_at = @at WHERE project = @Project AND repository = @Repository AND digest = @Digest",
            new { state, at, a.Project, a.Repository, a.Digest }, transaction, cancellationToken: cancellationToken));

    private static async Task<IReadOnlyList<DecisionRecord>> QueryDecisionsAsync(DbConnection connection, string where, object parameters, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<DecisionRow>(new CommandDefinition(
            $"""
            SELECT decision_id AS DecisionId, project, repository, digest, tag, verdict, enforced, policy_version AS PolicyVersion,
                   report_digest AS ReportDigest, reason, cause, decided_at AS DecidedAt, findings_json AS FindingsJson, decision_json AS DecisionJson
            FROM decisions WHERE {where} ORDER BY decided_at, decision_id
            """, parameters, cancellationToken: cancellationToken));
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
