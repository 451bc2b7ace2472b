using System.Data.Common;
using HarborBridge.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HarborBridge.Persistence;

/// <summary>Opens connections to the configured database (SQLite file or PostgreSQL).</summary>
internal sealed class DbConnectionFactory(IOptions<DatabaseOptions> options)
{
    public DatabaseProvider Provider { get; } = options.Value.Provider;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        DbConnection connection = Provider == DatabaseProvider.Postgres
            ? new NpgsqlConnection(options.Value.ConnectionString)
            : new SqliteConnection(options.Value.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (connection is SqliteConnection)
            {
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
                await pragma.ExecuteNonQueryAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
