using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HarborBridge.Persistence;

internal sealed class DatabaseHealthCheck(DbConnectionFactory connections) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await connections.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM schema_migrations", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy($"{connections.Provider} reachable");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{connections.Provider} unreachable: {e.GetType().Name}");
        }
    }
}
