using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using HarborBridge.Core.Notifications;
using HarborBridge.Persistence;

namespace HarborBridge.Notifications;

/// <summary>One notification sent (or claimed for sending) to one channel.</summary>
internal sealed record SentNotification(string Subject, string Verdict, string Channel, string Route, string? Project, string? Repository,
    string? Digest, string? Tag, DateTimeOffset LastSentAt);

/// <summary>The deduplication table: one row per (subject, verdict, content hash, channel).</summary>
internal sealed class NotificationLog(DbConnectionFactory connections)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Claims the right to send <paramref name="e"/> to the target channel. False when the same news went to
    /// this channel from another event within the flap window. True when the claim succeeds, and also when this same
    /// event claimed it before: the claim commits before the delivery is published, so a routing message retried after a
    /// failed publish must publish again (the delivery is claimed once more, per notification id, when it is sent; see
    /// <see cref="NotificationDeliveryLog"/>). When the previous message for the same subject, verdict and channel had
    /// other findings, returns what changed.</summary>
    public async Task<(bool Send, FindingChange? Change)> TryClaimAsync(NotificationEvent e, RouteTarget target, DateTimeOffset now, TimeSpan flapWindow,
        CancellationToken cancellationToken)
    {
        var keys = e.Findings.Select(NotificationEvent.FindingKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var dedupKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{e.Subject}\n{e.Verdict}\n{e.ContentHash}\n{target.Channel}")));
        await using var connection = await connections.OpenAsync(cancellationToken);
        var mine = await connection.QueryFirstOrDefaultAsync<(string EventId, string? PreviousFindingsJson)?>(new CommandDefinition(
            "SELECT last_event_id, previous_findings_json FROM notification_log WHERE dedup_key = @dedupKey",
            new { dedupKey }, cancellationToken: cancellationToken));
        if (mine is { } claimedBefore && claimedBefore.EventId == e.EventId)
        {
            return (true, Change(claimedBefore.PreviousFindingsJson, keys));
        }

        var previous = await connection.QueryFirstOrDefaultAsync<(string ContentHash, string FindingsJson)?>(new CommandDefinition(
            """
            SELECT content_hash, findings_json FROM notification_log
            WHERE subject = @Subject AND verdict = @Verdict AND channel = @Channel
            ORDER BY last_sent_at DESC LIMIT 1
            """,
            new { e.Subject, e.Verdict, target.Channel }, cancellationToken: cancellationToken));
        var previousFindings = previous is { } p && p.ContentHash != e.ContentHash ? p.FindingsJson : null;

        var claimed = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notification_log (dedup_key, subject, verdict, content_hash, channel, route, project, repository, digest, tag,
                                          findings_json, last_event_id, first_sent_at, last_sent_at, send_count, previous_findings_json)
            VALUES (@dedupKey, @Subject, @Verdict, @ContentHash, @Channel, @Route, @project, @repository, @digest, @Tag,
                    @findings, @EventId, @now, @now, 1, @previousFindings)
            ON CONFLICT (dedup_key) DO UPDATE SET last_event_id = excluded.last_event_id, last_sent_at = excluded.last_sent_at,
                route = excluded.route, tag = excluded.tag, send_count = notification_log.send_count + 1,
                previous_findings_json = excluded.previous_findings_json
            WHERE notification_log.last_event_id <> excluded.last_event_id AND notification_log.last_sent_at < @cutoff
            """,
            new
            {
                dedupKey, e.Subject, e.Verdict, e.ContentHash, target.Channel, target.Route, project = e.Artifact?.Project,
                repository = e.Artifact?.Repository, digest = e.Artifact?.Digest, e.Tag, findings = JsonSerializer.Serialize(keys, Json),
                e.EventId, now, cutoff = now - flapWindow, previousFindings,
            },
            cancellationToken: cancellationToken));
        return claimed == 0 ? (false, null) : (true, Change(previousFindings, keys));
    }

    private static FindingChange? Change(string? previousFindingsJson, IReadOnlyList<string> keys)
    {
        if (previousFindingsJson is null)
        {
            return null;
        }

        var before = JsonSerializer.Deserialize<List<string>>(previousFindingsJson, Json) ?? [];
        var added = keys.Except(before, StringComparer.Ordinal).ToList();
        var removed = before.Except(keys, StringComparer.Ordinal).ToList();
        return added.Count + removed.Count > 0 ? new FindingChange(added, removed) : null;
    }

    /// <summary>Artifact notifications sent in [from, to), for the digest.</summary>
    public async Task<IReadOnlyList<SentNotification>> ListSentAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT subject, verdict, channel, route, project, repository, digest, tag, last_sent_at AS LastSentAt FROM notification_log
            WHERE last_sent_at >= @from AND last_sent_at < @to AND digest IS NOT NULL
            ORDER BY last_sent_at
            """,
            new { from, to }, cancellationToken: cancellationToken));
        return rows.Select(r => new SentNotification(r.Subject, r.Verdict, r.Channel, r.Route, r.Project, r.Repository, r.Digest, r.Tag, r.LastSentAt)).ToList();
    }

    private sealed class Row
    {
        public string Subject { get; init; } = "";
        public string Verdict { get; init; } = "";
        public string Channel { get; init; } = "";
        public string Route { get; init; } = "";
        public string? Project { get; init; }
        public string? Repository { get; init; }
        public string? Digest { get; init; }
        public string? Tag { get; init; }
        public DateTimeOffset LastSentAt { get; init; }
    }
}
