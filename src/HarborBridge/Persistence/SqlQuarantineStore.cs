using System.Text.Json;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Quarantine;

namespace HarborBridge.Persistence;

/// <summary>Dapper implementation of <see cref="IQuarantineStore"/>; the SQL runs unchanged on SQLite and PostgreSQL.</summary>
internal sealed class SqlQuarantineStore(DbConnectionFactory connections) : IQuarantineStore
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns =
        "project, repository, digest, strategy, decision_id AS DecisionId, status, prior_json AS PriorJson, detail, applied_at AS AppliedAt, released_at AS ReleasedAt";

    public async Task<IReadOnlyList<QuarantineStep>> GetStepsAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<StepRow>(new CommandDefinition(
            $"SELECT {Columns} FROM quarantine_steps WHERE project = @Project AND repository = @Repository AND digest = @Digest ORDER BY applied_at, strategy",
            new { artifact.Project, artifact.Repository, artifact.Digest }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task<IReadOnlyList<QuarantineStep>> GetAppliedByDigestAsync(string digest, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<StepRow>(new CommandDefinition(
            $"SELECT {Columns} FROM quarantine_steps WHERE digest = @digest AND status = @status ORDER BY project, repository, applied_at, strategy",
            new { digest, status = QuarantineStepStatus.Applied }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task SaveStepAsync(QuarantineStep step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO quarantine_steps (project, repository, digest, strategy, decision_id, status, prior_json, detail, applied_at, released_at)
            VALUES (@Project, @Repository, @Digest, @Strategy, @DecisionId, @Status, @PriorJson, @Detail, @AppliedAt, @ReleasedAt)
            ON CONFLICT (project, repository, digest, strategy) DO UPDATE SET
                decision_id = excluded.decision_id, status = excluded.status, prior_json = excluded.prior_json,
                detail = excluded.detail, applied_at = excluded.applied_at, released_at = excluded.released_at
            """,
            new
            {
                step.Artifact.Project, step.Artifact.Repository, step.Artifact.Digest, step.Strategy, step.DecisionId, step.Status,
                step.PriorJson, step.Detail, step.AppliedAt, step.ReleasedAt,
            },
            cancellationToken: cancellationToken));
    }

    public async Task<int> CountAppliedAsync(string project, string strategy, ArtifactRef except, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(except);
        await using var connection = await connections.OpenAsync(cancellationToken);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT COUNT(*) FROM quarantine_steps
            WHERE project = @project AND strategy = @strategy AND status = @status
              AND NOT (repository = @Repository AND digest = @Digest)
            """,
            new { project, strategy, status = QuarantineStepStatus.Applied, except.Repository, except.Digest }, cancellationToken: cancellationToken));
    }

    public async Task<bool> CaptureProjectPriorAsync(string project, ProjectSettingsPrior prior, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO quarantine_project_priors (project, prior_json, captured_at) VALUES (@project, @json, @at)
            ON CONFLICT (project) DO NOTHING
            """,
            new { project, json = JsonSerializer.Serialize(prior, Json), at }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<ProjectSettingsPrior?> GetProjectPriorAsync(string project, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var json = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT prior_json FROM quarantine_project_priors WHERE project = @project", new { project }, cancellationToken: cancellationToken));
        return json is null ? null : JsonSerializer.Deserialize<ProjectSettingsPrior>(json, Json);
    }

    public async Task<IReadOnlyList<string>> ListPriorProjectsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT project FROM quarantine_project_priors ORDER BY project", cancellationToken: cancellationToken))).ToList();
    }

    public async Task DeleteProjectPriorAsync(string project, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM quarantine_project_priors WHERE project = @project", new { project }, cancellationToken: cancellationToken));
    }

    private sealed class StepRow
    {
        public string Project { get; init; } = "";
        public string Repository { get; init; } = "";
        public string Digest { get; init; } = "";
        public string Strategy { get; init; } = "";
        public string DecisionId { get; init; } = "";
        public string Status { get; init; } = "";
        public string PriorJson { get; init; } = "";
        public string? Detail { get; init; }
        public DateTimeOffset AppliedAt { get; init; }
        public DateTimeOffset? ReleasedAt { get; init; }

        public QuarantineStep ToModel() =>
            new(new ArtifactRef(Project, Repository, Digest), Strategy, DecisionId, Status, PriorJson, Detail, AppliedAt, ReleasedAt);
    }
}
