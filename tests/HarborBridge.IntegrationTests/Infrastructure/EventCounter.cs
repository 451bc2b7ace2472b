using Npgsql;

namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>Reads the recorded history straight from PostgreSQL, independently of HarborBridge's store code.</summary>
internal static class EventCounter
{
    public static async Task<long> CountAsync(string connectionString, string sql, object? parameter = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (parameter is not null)
        {
            command.Parameters.AddWithValue("p", parameter);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static Task<long> EventsWithPrefixAsync(string connectionString, string eventIdPrefix) =>
        CountAsync(connectionString, "SELECT COUNT(*) FROM artifact_events WHERE starts_with(event_id, @p)", eventIdPrefix);

    public static Task<long> ArtifactsWithDigestAsync(string connectionString, string digest) =>
        CountAsync(connectionString, "SELECT COUNT(*) FROM artifacts WHERE digest = @p", digest);
}
