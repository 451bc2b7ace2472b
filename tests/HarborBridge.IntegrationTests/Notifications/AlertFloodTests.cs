using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>Operators are not flooded (audit #7): 4,000 messages failing the same way (same queue, same exception) reach
/// each channel (Slack, Teams, generic webhook) as one message with the count, and PagerDuty as one incident. Faults are published on the real
/// <c>serve</c> host's bus as MassTransit publishes them when a message gives up; the poison consumer, routing and the
/// channel senders are the service's own.</summary>
public sealed class AlertFloodTests
{
    private const int Failures = 4_000;
    private const string RoutingKey = "R0UT1NG-flood-1";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FourThousandFaultsOfOneCause_OneMessagePerChannelAndOneIncidentWithTheCount()
    {
        await using var slack = await HttpReceiver.StartAsync();
        await using var teams = await HttpReceiver.StartAsync();
        await using var hook = await HttpReceiver.StartAsync();
        await using var pagerDuty = await HttpReceiver.StartAsync();
        await using var host = await NotificationHost.StartAsync("""
            version: 1
            default:
              channels: [ops, teams, hook]
            onCall:
              channels: [oncall]
            """, new Dictionary<string, string>
        {
            ["ops:Type"] = "Slack", ["ops:Url"] = slack.Url.ToString(),
            ["teams:Type"] = "Teams", ["teams:Url"] = teams.Url.ToString(),
            ["hook:Type"] = "Webhook", ["hook:Url"] = hook.Url.ToString(), ["hook:Secret"] = "flood-webhook-secret-0123456789",
            ["oncall:Type"] = "PagerDuty", ["oncall:Url"] = pagerDuty.Url.ToString(), ["oncall:RoutingKey"] = RoutingKey,
        }, extra: new Dictionary<string, string?> { ["HarborBridge:Notifications:AlertWindow"] = Window.ToString() });

        await Task.WhenAll(Enumerable.Range(0, Failures).Select(i => host.Bus.Publish<Fault<ArtifactPushed>>(new
        {
            FaultId = NewId.NextGuid(),
            FaultedMessageId = NewId.NextGuid(),
            Timestamp = DateTime.UtcNow,
            Exceptions = new ExceptionInfo[] { new MassTransit.Events.FaultExceptionInfo(new HttpRequestException("Harbor answered 404 to POST …/scan")) },
            Message = new ArtifactPushed($"flood-{i}", new ArtifactRef("payments", "api", "sha256:" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)),
                "v1", "ci-bot", DateTimeOffset.UnixEpoch),
        })));

        Assert.True(await slack.WaitForAsync(1, Patience), "Slack got no alert");
        Assert.True(await teams.WaitForAsync(1, Patience), "Teams got no alert");
        Assert.True(await hook.WaitForAsync(1, Patience), "the webhook channel got no alert");
        Assert.True(await pagerDuty.WaitForAsync(1, Patience), "PagerDuty got no alert");
        await Task.Delay(Window * 3); // a second batch, if the 4,000 were split, would have gone out by now

        var slackMessage = JsonNode.Parse(Assert.Single(slack.Requests).Body)!;
        Assert.Contains($"{Failures} alerts of one cause", slackMessage["text"]!.GetValue<string>(), StringComparison.Ordinal);
        // Teams (an Adaptive Card) and the generic webhook (HarborBridge's JSON): one message each, with the count.
        Assert.Contains($"{Failures} alerts of one cause", System.Text.Encoding.UTF8.GetString(Assert.Single(teams.Requests).Body), StringComparison.Ordinal);
        Assert.Contains($"{Failures} alerts of one cause", System.Text.Encoding.UTF8.GetString(Assert.Single(hook.Requests).Body), StringComparison.Ordinal);
        var page = JsonNode.Parse(Assert.Single(pagerDuty.Requests).Body)!;
        Assert.Equal("trigger", page["event_action"]!.GetValue<string>());
        Assert.StartsWith("harborbridge:alert:poison:", page["dedup_key"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith(":System.Net.Http.HttpRequestException", page["dedup_key"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"{Failures} alerts of one cause", page["payload"]!["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        // The in-memory transport keeps nothing to replay, and the alert says so.
        Assert.Contains("CANNOT be replayed", slackMessage.ToJsonString(), StringComparison.Ordinal);
    }
}
