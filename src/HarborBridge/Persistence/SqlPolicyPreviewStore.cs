using System.Runtime.CompilerServices;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;

namespace HarborBridge.Persistence;

/// <summary>An admin's acceptance of a policy file's impact (see <c>HarborBridge:Policy:MaxNewlyBlocked</c>).</summary>
internal sealed record PolicyAcceptance(string ContentHash, string PolicyVersion, int AcceptedImpact, int NewlyBlocked, string Actor, DateTimeOffset AcceptedAt);

/// <summary>What the policy impact preview and the reload guard read and write: the decided artifacts with the decision in
/// force (streamed in pages by primary key, so 10,000 artifacts never sit in one result set), and policy acceptances.</summary>
internal sealed class SqlPolicyPreviewStore(DbConnectionFactory connections)
{
    // Constants, written into the SQL: Dapper hands a list to Npgsql as one array parameter, which `IN` does not take.
    private const string DecidedStates =
        $"('{ArtifactStates.Approved}', '{ArtifactStates.Warned}', '{ArtifactStates.AtRisk}', '{ArtifactStates.Quarantined}')";

    public async IAsyncEnumerable<IReadOnlyList<StoredArtifact>> ReadDecidedAsync(int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        (string Project, string Repository, string Digest) after = ("", "", "");
        while (true)
        {
            List<Row> rows;
            await using (var connection = await connections.OpenAsync(cancellationToken))
            {
                // Row-value comparison works the same on SQLite (3.15+) and PostgreSQL and follows the primary key index.
                rows = (await connection.QueryAsync<Row>(new CommandDefinition(
                    $"""
                    SELECT a.project AS Project, a.repository AS Repository, a.digest AS Digest, a.state AS State, d.decision_json AS DecisionJson
                    FROM artifacts a JOIN decisions d ON d.decision_id = a.decision_id
                    WHERE a.state IN {DecidedStates} AND (a.project, a.repository, a.digest) > (@project, @repository, @digest)
                    ORDER BY a.project, a.repository, a.digest
                    LIMIT @limit
                    """,
                    new { project = after.Project, repository = after.Repository, digest = after.Digest, limit = pageSize },
                    cancellationToken: cancellationToken))).AsList();
            }

            if (rows.Count == 0)
            {
                yield break;
            }

            yield return rows.Select(r => new StoredArtifact(new ArtifactRef(r.Project, r.Repository, r.Digest), Enum.Parse<ArtifactState>(r.State), r.DecisionJson))
                .ToList();
            var last = rows[^1];
            after = (last.Project, last.Repository, last.Digest);
            if (rows.Count < pageSize)
            {
                yield break;
            }
        }
    }

    public async Task<PolicyAcceptance?> GetAcceptanceAsync(string contentHash, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AcceptanceRow>(new CommandDefinition(
            """
            SELECT content_hash AS ContentHash, policy_version AS PolicyVersion, accepted_impact AS AcceptedImpact, newly_blocked AS NewlyBlocked,
                   actor AS Actor, accepted_at AS AcceptedAt
            FROM policy_acceptances WHERE content_hash = @contentHash
            """, new { contentHash }, cancellationToken: cancellationToken));
        return row is null ? null : new PolicyAcceptance(row.ContentHash, row.PolicyVersion, (int)row.AcceptedImpact, (int)row.NewlyBlocked, row.Actor, row.AcceptedAt);
    }

    /// <summary>Stores the acceptance; a second acceptance of the same content keeps the first (idempotent).</summary>
    public async Task AcceptAsync(PolicyAcceptance acceptance, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO policy_acceptances (content_hash, policy_version, accepted_impact, newly_blocked, actor, accepted_at)
            VALUES (@ContentHash, @PolicyVersion, @AcceptedImpact, @NewlyBlocked, @Actor, @AcceptedAt)
            ON CONFLICT (content_hash) DO NOTHING
            """, acceptance, cancellationToken: cancellationToken));
    }

    private sealed class Row
    {
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string State { get; init; } = "";
        public string DecisionJson { get; init; } = "";
    }

    private sealed class AcceptanceRow
    {
        public string ContentHash { get; init; } = "";
        public string PolicyVersion { get; init; } = "";
        public long AcceptedImpact { get; init; }
        public long NewlyBlocked { get; init; }
        public string Actor { get; init; } = "";
        public DateTimeOffset AcceptedAt { get; init; }
    }
}
