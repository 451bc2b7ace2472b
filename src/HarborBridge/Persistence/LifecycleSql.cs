using System.Data.Common;
using System.Text.Json;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;

namespace HarborBridge.Persistence;

/// <summary>
/// The one place an artifact's state is written: reads its status, asks <see cref="ArtifactLifecycle"/>, and writes the
/// transition, the decision and the new state inside the caller's transaction. The state update names the state it read
/// (compare-and-set), so of two racing writers one wins and the other is told to read again.
/// </summary>
internal static class LifecycleSql
{
    public static string ScanTransitionId(string causeId) => $"{causeId}:scan";

    public static async Task<ArtifactStatus?> ReadStatusAsync(DbConnection connection, DbTransaction? transaction, ArtifactRef a, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<StatusRow>(new CommandDefinition(
            """
            SELECT state, decision_id AS DecisionId, verdict_report_at AS VerdictReportAt, verdict_policy_version AS VerdictPolicyVersion,
                   pushed_at AS PushedAt, deleted_at AS DeletedAt
            FROM artifacts WHERE project = @Project AND repository = @Repository AND digest = @Digest
            """, new { a.Project, a.Repository, a.Digest }, transaction, cancellationToken: cancellationToken));
        return row is null
            ? null
            : new ArtifactStatus(ArtifactLifecycle.Parse(row.State), row.VerdictReportAt, row.VerdictPolicyVersion, row.PushedAt, row.DeletedAt, row.DecisionId);
    }

    /// <summary>Applies the change; returns a null result when the compare-and-set lost (the caller rolls back and retries),
    /// and whether anything was written (the caller commits only then).</summary>
    public static async Task<(LifecycleResult? Result, bool Wrote)> ApplyAsync(
        DbConnection connection, DbTransaction transaction, LifecycleChange change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var a = change.Artifact;
        if (change.Decision is { } given && await FindDecisionAsync(connection, transaction, given.DecisionId, cancellationToken) is { } existing)
        {
            return (await RedeliveryAsync(connection, transaction, a, existing, cancellationToken), false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO artifacts (project, repository, digest, state, first_seen_at, updated_at)
            VALUES (@Project, @Repository, @Digest, @state, @now, @now)
            ON CONFLICT (project, repository, digest) DO NOTHING
            """,
            new { a.Project, a.Repository, a.Digest, state = nameof(ArtifactState.Received), now }, transaction, cancellationToken: cancellationToken));
        var status = (await ReadStatusAsync(connection, transaction, a, cancellationToken))!.Value;
        var from = status.State;
        var step = ArtifactLifecycle.Next(status, change.Cause);
        if (!step.Allowed || (change.SkipIfUnchanged && step.To == from && !step.ReleaseRequested))
        {
            return (new LifecycleResult(from, step, null, false, false), false);
        }

        var to = step.To!.Value;
        var decision = change.Decision;
        if (!await InsertTransitionAsync(connection, transaction,
                new ArtifactTransition(change.TransitionId, a, from.ToString(), to.ToString(), change.Reason, change.Actor, decision?.DecisionId, change.At),
                cancellationToken))
        {
            // The same transition was recorded before (a redelivery, or a racing copy that committed first).
            return decision is not null && await FindDecisionAsync(connection, transaction, decision.DecisionId, cancellationToken) is { } stored
                ? (await RedeliveryAsync(connection, transaction, a, stored, cancellationToken), false)
                : (new LifecycleResult(from, step, null, false, false), false);
        }

        if (decision is not null)
        {
            await InsertDecisionAsync(connection, transaction, decision, cancellationToken);
        }

        var updated = await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE artifacts SET state = @to, updated_at = @at{ExtraColumns(change, from, to)}
            WHERE project = @Project AND repository = @Repository AND digest = @Digest AND state = @from
            """,
            new
            {
                to = to.ToString(), from = from.ToString(), at = change.At, a.Project, a.Repository, a.Digest,
                decisionId = decision?.DecisionId, reportAt = change.VerdictReportAt, policyVersion = decision?.PolicyVersion,
                causeAt = change.Cause switch { DeletedCause d => d.At, PushedCause p => p.At, _ => (DateTimeOffset?)null },
            },
            transaction, cancellationToken: cancellationToken));
        return updated == 0
            ? (null, false)
            : (new LifecycleResult(from, step, decision, true, decision is not null), true);
    }

    private static string ExtraColumns(LifecycleChange change, ArtifactState from, ArtifactState to)
    {
        var extra = change.Decision is null ? "" : ", decision_id = @decisionId, verdict_report_at = @reportAt, verdict_policy_version = @policyVersion";
        return extra + change.Cause switch
        {
            ScanRequestedCause => ", scan_requested_at = @at, scan_attempts = scan_attempts + 1",
            DeletedCause => ", deleted_at = @causeAt",
            // A digest pushed again after its deletion is scanned afresh (this push's time, no attempts); it keeps the time of
            // the report it was last judged on, so that only a newer report can decide it.
            PushedCause when from == ArtifactState.Deleted && to == ArtifactState.Received =>
                ", deleted_at = NULL, pushed_at = @causeAt, scan_attempts = 0, scan_requested_at = NULL",
            _ => "",
        };
    }

    private static async Task<LifecycleResult> RedeliveryAsync(DbConnection connection, DbTransaction transaction, ArtifactRef a, DecisionRecord stored, CancellationToken cancellationToken)
    {
        var status = await ReadStatusAsync(connection, transaction, a, cancellationToken);
        var state = status?.State ?? ArtifactState.Received;
        return new LifecycleResult(state, LifecycleStep.MoveTo(state), stored, false, status?.DecisionId == stored.DecisionId);
    }

    private static async Task<DecisionRecord?> FindDecisionAsync(DbConnection connection, DbTransaction transaction, string decisionId, CancellationToken cancellationToken) =>
        (await SqlDecisionStore.QueryDecisionsAsync(connection, "decision_id = @id", new { id = decisionId }, cancellationToken, transaction)).SingleOrDefault();

    private static Task InsertDecisionAsync(DbConnection connection, DbTransaction transaction, DecisionRecord decision, CancellationToken cancellationToken)
    {
        var a = decision.Artifact;
        return connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO decisions (decision_id, project, repository, digest, tag, verdict, enforced, policy_version, report_digest,
                                   reason, cause, decided_at, findings_json, decision_json)
            VALUES (@DecisionId, @Project, @Repository, @Digest, @Tag, @Verdict, @enforced, @PolicyVersion, @ReportDigest,
                    @Reason, @Cause, @DecidedAt, @findings, @DecisionJson)
            ON CONFLICT (decision_id) DO NOTHING
            """,
            new { decision.DecisionId, a.Project, a.Repository, a.Digest, decision.Tag, decision.Verdict, enforced = decision.Enforced ? 1 : 0,
                decision.PolicyVersion, decision.ReportDigest, decision.Reason, decision.Cause, decision.DecidedAt,
                findings = JsonSerializer.Serialize(decision.Findings, SqlDecisionStore.Json), decision.DecisionJson },
            transaction, cancellationToken: cancellationToken));
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

    private sealed class StatusRow
    {
        public string State { get; init; } = "";
        public string? DecisionId { get; init; }
        public DateTimeOffset? VerdictReportAt { get; init; }
        public string? VerdictPolicyVersion { get; init; }
        public DateTimeOffset? PushedAt { get; init; }
        public DateTimeOffset? DeletedAt { get; init; }
    }
}
