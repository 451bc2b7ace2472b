using System.Globalization;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Policy;
using HarborBridge.Exceptions;

namespace HarborBridge.Persistence;

/// <summary>Dapper implementation of <see cref="IExceptionRequestStore"/>; the SQL runs unchanged on SQLite and PostgreSQL.</summary>
internal sealed class SqlExceptionRequestStore(DbConnectionFactory connections) : IExceptionRequestStore
{
    private const string Columns =
        "request_id AS RequestId, finding_id AS FindingId, project, repository, digest, reason, expires, requester, team, " +
        "artifact_project AS ArtifactProject, artifact_repository AS ArtifactRepository, artifact_digest AS ArtifactDigest, state, " +
        "requested_at AS RequestedAt, decided_by AS DecidedBy, decided_at AS DecidedAt, comment";

    public async Task<bool> CreateAsync(ExceptionRequest request, CancellationToken cancellationToken)
    {
        var d = request.Draft;
        await using var connection = await connections.OpenAsync(cancellationToken);
        // The partial unique index on pending (finding, scope) turns a concurrent duplicate into "nothing inserted".
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO exception_requests (request_id, finding_id, project, repository, digest, scope, reason, expires, requester, team,
                artifact_project, artifact_repository, artifact_digest, state, requested_at)
            VALUES (@RequestId, @FindingId, @Project, @Repository, @Digest, @Scope, @Reason, @expires, @Requester, @Team,
                @ArtifactProject, @ArtifactRepository, @ArtifactDigest, @State, @RequestedAt)
            ON CONFLICT DO NOTHING
            """,
            new
            {
                request.RequestId, d.FindingId, d.Project, d.Repository, d.Digest, d.Scope, d.Reason, expires = Day(d.Expires), d.Requester,
                request.Team, ArtifactProject = request.Artifact.Project, ArtifactRepository = request.Artifact.Repository,
                ArtifactDigest = request.Artifact.Digest, request.State, request.RequestedAt,
            },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task<ExceptionRequest?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM exception_requests WHERE request_id = @requestId", new { requestId }, cancellationToken: cancellationToken));
        return row?.ToModel();
    }

    public async Task<IReadOnlyList<ExceptionRequest>> ListAsync(string? state, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        // Two texts rather than "@state IS NULL OR …": PostgreSQL cannot type a parameter that is only ever null.
        var where = state is null ? "" : "WHERE state = @state";
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM exception_requests {where} ORDER BY requested_at DESC, request_id LIMIT @limit",
            new { state, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task<ExceptionRequest?> FindPendingAsync(string findingId, string scope, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM exception_requests WHERE finding_id = @findingId AND scope = @scope AND state = @state",
            new { findingId, scope, state = ExceptionRequestStates.Requested }, cancellationToken: cancellationToken));
        return row?.ToModel();
    }

    public async Task<bool> DecideAsync(string requestId, string from, string to, string? decidedBy, DateTimeOffset at, string? comment,
        PolicyExceptionRule? grant, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE exception_requests SET state = @to, decided_by = COALESCE(@decidedBy, decided_by), decided_at = COALESCE(decided_at, @at),
                comment = COALESCE(@comment, comment)
            WHERE request_id = @requestId AND state = @from
            """,
            new { requestId, from, to, decidedBy, at, comment }, transaction, cancellationToken: cancellationToken));
        if (changed == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        if (grant is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO granted_exceptions (request_id, finding_id, project, repository, digest, expires, reason, owner, approver, granted_at)
                VALUES (@requestId, @Id, @project, @repository, @Digest, @expires, @Reason, @Owner, @decidedBy, @at)
                """,
                new
                {
                    requestId, grant.Id, project = grant.Project?.Pattern ?? "*", repository = grant.Repository?.Pattern, grant.Digest,
                    expires = Day(grant.Expires!.Value), grant.Reason, grant.Owner, decidedBy, at,
                },
                transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<ExceptionRequest>> ListLapsedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM exception_requests WHERE state = @state AND expires < @today ORDER BY expires, request_id",
            new { state = ExceptionRequestStates.Approved, today = Day(DateOnly.FromDateTime(now.UtcDateTime)) }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task<IReadOnlyList<PolicyExceptionRule>> InForceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<GrantRow>(new CommandDefinition(
            """
            SELECT g.request_id AS RequestId, g.finding_id AS FindingId, g.project, g.repository, g.digest, g.expires, g.reason, g.owner,
                g.approver, r.requester
            FROM granted_exceptions g JOIN exception_requests r ON r.request_id = g.request_id
            WHERE r.state = @state AND g.expires >= @today
            ORDER BY g.request_id
            """,
            new { state = ExceptionRequestStates.Approved, today = Day(DateOnly.FromDateTime(now.UtcDateTime)) }, cancellationToken: cancellationToken));
        return rows.Select(g => new ExceptionRequestDraft(g.FindingId, g.Project, g.Repository, g.Digest, g.Reason, ParseDay(g.Expires), g.Requester)
            .ToRule(g.Owner ?? g.Requester, $"exception request {g.RequestId}, requested by {g.Requester}, approved by {g.Approver}")).ToList();
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private sealed class GrantRow
    {
        public string RequestId { get; init; } = "";
        public string FindingId { get; init; } = "";
        public string Project { get; init; } = "";
        public string? Repository { get; init; }
        public string? Digest { get; init; }
        public string Expires { get; init; } = "";
        public string Reason { get; init; } = "";
        public string? Owner { get; init; }
        public string Approver { get; init; } = "";
        public string Requester { get; init; } = "";
    }

    private sealed class Row
    {
        public string RequestId { get; init; } = "";
        public string FindingId { get; init; } = "";
        public string Project { get; init; } = "";
        public string? Repository { get; init; }
        public string? Digest { get; init; }
        public string Reason { get; init; } = "";
        public string Expires { get; init; } = "";
        public string Requester { get; init; } = "";
        public string? Team { get; init; }
        public string ArtifactProject { get; init; } = "";
        public string ArtifactRepository { get; init; } = "";
        public string ArtifactDigest { get; init; } = "";
        public string State { get; init; } = "";
        public DateTimeOffset RequestedAt { get; init; }
        public string? DecidedBy { get; init; }
        public DateTimeOffset? DecidedAt { get; init; }
        public string? Comment { get; init; }

        public ExceptionRequest ToModel() => new(RequestId,
            new ExceptionRequestDraft(FindingId, Project, Repository, Digest, Reason, ParseDay(Expires), Requester), Team,
            new ArtifactRef(ArtifactProject, ArtifactRepository, ArtifactDigest), State, RequestedAt, DecidedBy, DecidedAt, Comment);
    }
}
