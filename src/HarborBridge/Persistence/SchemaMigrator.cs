using System.Data.Common;
using System.Reflection;
using Dapper;
using HarborBridge.Hosting;

namespace HarborBridge.Persistence;

/// <summary>
/// Applies the embedded SQL migrations (<c>Persistence/Migrations/&lt;provider&gt;/NNNN_name.sql</c>) in order,
/// each in its own transaction. On PostgreSQL an advisory lock makes concurrent replicas wait for one another.
/// </summary>
internal sealed class SchemaMigrator(DbConnectionFactory connections, TimeProvider time, ILogger<SchemaMigrator> logger)
{
    private const long AdvisoryLockKey = 0x4842_4D49_4752; // "HBMIGR"

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var postgres = connections.Provider == DatabaseProvider.Postgres;
        if (!postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
            cancellationToken: cancellationToken));

        foreach (var (version, name, sql) in Scripts(connections.Provider))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (postgres)
            {
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, transaction, cancellationToken: cancellationToken));
            }

            var applied = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @version", new { version }, transaction, cancellationToken: cancellationToken));
            if (applied > 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                new { version, name, at = time.GetUtcNow().ToString("O") }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Applied database migration {Version} {Name}", version, name);
        }
    }

    private static IEnumerable<(int Version, string Name, string Sql)> Scripts(DatabaseProvider provider)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var prefix = $"HarborBridge.Persistence.Migrations.{provider.ToString().ToLowerInvariant()}.";
        var resources = assembly.GetManifestResourceNames()
            .Select(n => (Resource: n, Normalised: n.Replace('/', '.').Replace('\\', '.')))
            .Where(n => n.Normalised.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(n => n.Normalised, StringComparer.Ordinal);
        foreach (var (resource, normalised) in resources)
        {
            var fileName = normalised[prefix.Length..^".sql".Length];
            var version = int.Parse(fileName.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, fileName, reader.ReadToEnd());
        }
    }
}

/// <summary>Runs the migrations before anything else starts, so consumers never see an old schema.</summary>
internal sealed class SchemaMigrationHostedService(SchemaMigrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
