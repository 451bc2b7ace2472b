using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using HarborBridge.Hosting;
using HarborBridge.Persistence;

namespace HarborBridge.Notifications;

/// <summary>
/// Delivers each notification id at most once per successful send (table <c>notification_delivery</c>, migration 0008).
/// Routing may publish the same <c>DeliverNotification</c> twice (a retry after a failed publish), and the broker may
/// deliver a message twice; only the first successful send is recorded, later copies are dropped.
/// <list type="bullet">
/// <item>PostgreSQL: the id is inserted in a transaction that stays open while the channel is called and commits after
/// it answered. A copy handled by another process at the same time waits on that row, then finds it and drops out; a
/// failed send or a crash rolls back, so the next attempt sends.</item>
/// <item>SQLite (one process): copies wait for each other in memory; the id is recorded after the send.</item>
/// </list>
/// A crash after the channel answered and before the record is written can still send twice: receivers drop that rare
/// duplicate by <c>X-HarborBridge-Notification-Id</c>.
/// </summary>
internal sealed class NotificationDeliveryLog(DbConnectionFactory connections, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="send"/> unless <paramref name="notificationId"/> was delivered already. True when it
    /// sent now, false when it was a duplicate. A failing send throws and leaves the id undelivered.</summary>
    public async Task<bool> DeliverOnceAsync(string notificationId, string channel, Func<CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        while (true)
        {
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var current = _inFlight.GetOrAdd(notificationId, mine.Task);
            if (current != mine.Task)
            {
                await current.WaitAsync(cancellationToken); // another copy is being sent in this process: then look again
                continue;
            }

            try
            {
                return connections.Provider == DatabaseProvider.Postgres
                    ? await ClaimWhileSendingAsync(notificationId, channel, send, cancellationToken)
                    : await SendThenRecordAsync(notificationId, channel, send, cancellationToken);
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, Task>(notificationId, mine.Task));
                mine.SetResult();
            }
        }
    }

    private async Task<bool> ClaimWhileSendingAsync(string id, string channel, Func<CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await InsertAsync(connection, transaction, id, channel, cancellationToken) == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return false;
        }

        await send(cancellationToken);
        // Sent: the record must stick even if the consumer is being cancelled now, or a retry would send again.
        await transaction.CommitAsync(CancellationToken.None);
        return true;
    }

    private async Task<bool> SendThenRecordAsync(string id, string channel, Func<CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        await using (var connection = await connections.OpenAsync(cancellationToken))
        {
            var delivered = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM notification_delivery WHERE notification_id = @id", new { id }, cancellationToken: cancellationToken));
            if (delivered > 0)
            {
                return false;
            }
        }

        await send(cancellationToken);
        await using (var connection = await connections.OpenAsync(CancellationToken.None))
        {
            await InsertAsync(connection, null, id, channel, CancellationToken.None);
        }

        return true;
    }

    private Task<int> InsertAsync(DbConnection connection, DbTransaction? transaction, string id, string channel, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO notification_delivery (notification_id, channel, delivered_at) VALUES (@id, @channel, @at) ON CONFLICT (notification_id) DO NOTHING",
            new { id, channel, at = time.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
}
