using Dapper;
using HarborBridge.Persistence;

namespace HarborBridge.Dashboard;

/// <summary>Read-only aggregates for the dashboard and the scrape-time gauges; the SQL runs on SQLite and PostgreSQL.</summary>
internal sealed class DashboardQueries(DbConnectionFactory connections)
{
    /// <summary>Artifacts not deleted, counted per state.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string State, long Count)>(new CommandDefinition(
            "SELECT state, COUNT(*) FROM artifacts WHERE deleted_at IS NULL GROUP BY state", cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.State, r => r.Count, StringComparer.Ordinal);
    }

    /// <summary>Verdict and time of every decision taken at or after <paramref name="since"/>.</summary>
    public async Task<IReadOnlyList<(string Verdict, DateTimeOffset DecidedAt)>> DecisionsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        DateTimeOffsetHandler.Register();
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Verdict, DateTimeOffset DecidedAt)>(new CommandDefinition(
            "SELECT verdict, decided_at FROM decisions WHERE decided_at >= @since", new { since }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
