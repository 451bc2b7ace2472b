using System.Globalization;
using System.Text.Json;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Notifications;
using HarborBridge.LoadDriver;

namespace HarborBridge.IntegrationTests.Faults;

/// <summary>
/// A generic-webhook receiver on 127.0.0.1 that serve's routing sends warned and quarantined artifacts to, and the audit
/// of what it received: after a fault, exactly one message per warned artifact (kind <c>warned</c>) and per blocked
/// artifact (kind <c>quarantined</c>), none for clean ones. Counted from the receiver's own log, by the artifact digest
/// in each accepted body — every request counts, so a duplicate a receiver would have to drop by id is a problem too.
/// </summary>
internal sealed class NotificationAudit : IAsyncDisposable
{
    private const string Secret = "fault-audit-hmac-key";
    private readonly HttpReceiver _receiver;
    private readonly string _routingFile;

    private NotificationAudit(HttpReceiver receiver, string routingFile)
    {
        _receiver = receiver;
        _routingFile = routingFile;
    }

    public static async Task<NotificationAudit> StartAsync(string directory)
    {
        var routing = Path.Combine(directory, "routing.yaml");
        await File.WriteAllTextAsync(routing, "version: 1\ndefault:\n  channels: [audit]\n  events: [warned, quarantined]\n");
        return new NotificationAudit(await HttpReceiver.StartAsync(), routing);
    }

    /// <summary>serve's settings for the routing and the receiver's channel.</summary>
    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["HarborBridge:Notifications:RoutingFile"] = _routingFile,
        ["HarborBridge:Notifications:Channels:audit:Type"] = "Webhook",
        ["HarborBridge:Notifications:Channels:audit:Url"] = _receiver.Url.ToString(),
        ["HarborBridge:Notifications:Channels:audit:Secret"] = Secret,
        ["HarborBridge:Notifications:DigestCron"] = "",
    };

    private static string Expected(ArtifactKind kind) => kind switch
    {
        ArtifactKind.Warned => "warned",
        ArtifactKind.Blocked => "quarantined",
        _ => "",
    };

    /// <summary>Accepted requests that repeated a notification id already accepted: what the documented at-least-once window
    /// (the channel accepted, then the claim's commit was lost with PostgreSQL or the process) lets through, and what a
    /// receiver drops by <c>X-HarborBridge-Notification-Id</c>. Reported, not counted as a second notification.</summary>
    public IReadOnlyList<string> Repeats => [.. _receiver.Requests.Where(r => r.AnsweredWith == 200)
        .GroupBy(r => r.Headers["X-HarborBridge-Notification-Id"], StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}")];

    /// <summary>What each digest received: the kinds of the accepted messages, one per notification id (as a receiver that
    /// honours <c>X-HarborBridge-Notification-Id</c> sees them).</summary>
    private Dictionary<string, List<string>> Received()
    {
        var received = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in _receiver.Requests.Where(r => r.AnsweredWith == 200))
        {
            if (!seen.Add(request.Headers["X-HarborBridge-Notification-Id"]))
            {
                continue;
            }

            using var body = JsonDocument.Parse(request.Body);
            var content = body.RootElement.GetProperty("content");
            var digest = content.GetProperty("artifact").GetProperty("digest").GetString() ?? "";
            if (!received.TryGetValue(digest, out var kinds))
            {
                received[digest] = kinds = [];
            }

            kinds.Add(body.RootElement.GetProperty("kind").GetString() ?? "");
        }

        return received;
    }

    /// <summary>Waits (bounded) until every expected message arrived, then <paramref name="settle"/> more for late
    /// duplicates, and returns everything wrong: missing, doubled, or of the wrong kind.</summary>
    public async Task<IReadOnlyList<string>> ProblemsAsync(IReadOnlyList<PushedArtifact> artifacts, TimeSpan timeout, TimeSpan settle)
    {
        var expected = artifacts.Count(a => a.Kind != ArtifactKind.Clean);
        await TestEnvironment.EventuallyAsync(() => Task.FromResult(Received().Count >= expected), timeout);
        await Task.Delay(settle);
        var received = Received();
        var problems = new List<string>();
        foreach (var a in artifacts)
        {
            var kinds = received.GetValueOrDefault(a.Digest) ?? [];
            var want = Expected(a.Kind);
            var name = $"{a.Repository}:{a.Tag} ({a.Digest[..19]})";
            if (want.Length == 0 && kinds.Count > 0)
            {
                problems.Add($"{name}: clean, yet notified ({string.Join(", ", kinds)})");
            }
            else if (want.Length > 0 && (kinds.Count != 1 || kinds[0] != want))
            {
                problems.Add($"{name}: {kinds.Count.ToString(CultureInfo.InvariantCulture)} notification(s) [{string.Join(", ", kinds)}], expected one '{want}'");
            }
        }

        var strangers = received.Keys.Except(artifacts.Select(a => a.Digest), StringComparer.Ordinal).ToList();
        problems.AddRange(strangers.Select(d => $"{d}: notified, but not one of the burst"));
        return problems;
    }

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();
}
