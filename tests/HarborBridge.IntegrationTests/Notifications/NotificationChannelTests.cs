using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Infrastructure;
using Json.Schema;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>Real channels on 127.0.0.1: Kestrel receivers for Slack, Teams, the generic webhook and PagerDuty, and
/// python3-aiosmtpd for e-mail. Events are published on the bus as the decision consumers would publish them.</summary>
public sealed class NotificationChannelTests
{
    private const string WebhookSecret = "webhook-HMAC-key-5150";
    private const string RoutingKey = "R0UT1NGKEY-pagerduty-77";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 30, 0, TimeSpan.Zero);

    private static readonly DecidingFinding OpensslHigh = new("CVE-2024-0001", "openssl", "3.0.1", "3.0.2", "HIGH", "https://avd.aquasec.com/nvd/cve-2024-0001", "Warn");
    private static readonly DecidingFinding ZlibMedium = new("CVE-2024-0002", "zlib", "1.2.11", null, "MEDIUM", null, "Warn");
    private static readonly DecidingFinding CurlCritical = new("CVE-2024-0003", "curl", "7.88.0", "8.5.0", "CRITICAL", "https://avd.aquasec.com/nvd/cve-2024-0003", "Block");

    private static readonly Lazy<JsonSchema> SlackSchema = new(() => JsonSchema.FromText(File.ReadAllText(TestEnvironment.FixturePath("notifications", "slack-message.schema.json"))));
    private static readonly Lazy<JsonSchema> TeamsSchema = new(() => JsonSchema.FromText(File.ReadAllText(TestEnvironment.FixturePath("notifications", "teams-adaptive-card.schema.json"))));

    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static JsonNode Json(HttpReceiver.Request request) => JsonNode.Parse(request.Body)!;

    /// <summary>Microsoft's Adaptive Cards library (npm <c>adaptivecards</c>) parses the card without a single parse or
    /// validation event: no unknown element or action type, no missing required property.</summary>
    private static async Task AssertOfficialParserAcceptsAsync(JsonNode card)
    {
        var file = Path.Combine(TestEnvironment.Require("HB_TEST_WORK"), $"card-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, card.ToJsonString());
        try
        {
            // RunAsync throws with the printed problems when the parser reports any.
            await TestEnvironment.RunAsync("node",
                [Path.Combine(TestEnvironment.Require("HB_TEST_TOOLS"), "validate-adaptive-card.js"), TestEnvironment.Require("HB_TEST_ADAPTIVECARDS"), file],
                TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void AssertValid(Lazy<JsonSchema> schema, HttpReceiver.Request request)
    {
        using var doc = JsonDocument.Parse(request.Body);
        var result = schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, "body does not match the schema: " + string.Join("; ", errors));
    }

    [Fact]
    public async Task OfficialCardParser_RejectsUnknownTypesAndMissingUrls()
    {
        // The check used on every Teams card below must be able to fail.
        var bad = JsonNode.Parse("""{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlok","text":"x"}],"actions":[{"type":"Action.OpenUrl","title":"t"}]}""")!;

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AssertOfficialParserAcceptsAsync(bad));

        Assert.Contains("TextBlok", e.Message, StringComparison.Ordinal);
        Assert.Contains("\"url\" must be set", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warned_SlackTeamsWebhookAndEmail_EachGetTheFullStory()
    {
        await using var slack = await HttpReceiver.StartAsync();
        await using var teams = await HttpReceiver.StartAsync();
        await using var webhook = await HttpReceiver.StartAsync();
        await using var smtp = await SmtpServer.StartAsync();
        await using var host = await NotificationHost.StartAsync("""
            version: 1
            teams:
              - name: web
                match: [{ project: web, repository: "frontend/*" }]
                channels: [web-slack, web-teams, web-hook, web-mail]
            """, new Dictionary<string, string>
        {
            ["web-slack:Type"] = "Slack", ["web-slack:Url"] = slack.Url.ToString(),
            ["web-teams:Type"] = "Teams", ["web-teams:Url"] = teams.Url.ToString(),
            ["web-hook:Type"] = "Webhook", ["web-hook:Url"] = webhook.Url.ToString(), ["web-hook:Secret"] = WebhookSecret,
            ["web-mail:Type"] = "Email", ["web-mail:Host"] = "127.0.0.1", ["web-mail:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["web-mail:Security"] = "None", ["web-mail:From"] = "harborbridge@example.test", ["web-mail:To"] = "web-team@example.test, lead@example.test",
        });
        var digest = NewDigest();
        var artifact = new ArtifactRef("web", "frontend/app", digest);
        await host.Factory.Store.RecordEventAsync(new ArtifactEvent("push-" + digest, "PUSH_ARTIFACT", "web", "frontend/app", digest, "1.2", "alice", At.AddMinutes(-5), null),
            new ArtifactObservation(artifact, "1.2", "alice", At.AddMinutes(-5), Deleted: false), default);

        await host.Bus.Publish(new ArtifactWarned("dec-w1", artifact, "1.2", "sha256:policy1", "sha256:report1", [ZlibMedium, OpensslHigh], At));

        Assert.True(await slack.WaitForAsync(1, Patience) && await teams.WaitForAsync(1, Patience) && await webhook.WaitForAsync(1, Patience), "not every HTTP channel got the message");
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(smtp.Messages().Count == 1), Patience), "no e-mail arrived");
        var title = $"Warning: web/frontend/app:1.2@{digest[..19]}";
        var harborLink = $"https://harbor.example.test/harbor/projects/web/repositories/frontend%252Fapp/artifacts-tab/artifacts/{digest}";
        var bridgeLink = $"https://bridge.example.test/api/v1/artifacts/{digest}";
        const string opensslLine = "HIGH CVE-2024-0001 in openssl 3.0.1 → 3.0.2";
        const string zlibLine = "MEDIUM CVE-2024-0002 in zlib 1.2.11 → no fix yet";

        // Slack: Block Kit, valid against the schema, every part of the story in its block.
        var s = Assert.Single(slack.Requests);
        Assert.Equal("/hook/T000/B000/secret-path-XYZ", s.Path);
        Assert.StartsWith("application/json", s.Headers["Content-Type"], StringComparison.Ordinal);
        AssertValid(SlackSchema, s);
        var blocks = Json(s)["blocks"]!.AsArray();
        Assert.StartsWith(title + ": The policy passed it with warnings.", Json(s)["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("header", blocks[0]!["type"]!.GetValue<string>());
        Assert.Equal(title, blocks[0]!["text"]!["text"]!.GetValue<string>());
        Assert.Equal("The policy passed it with warnings. Deciding findings: 1 HIGH, 1 MEDIUM.", blocks[1]!["text"]!["text"]!.GetValue<string>());
        var fields = blocks[2]!["fields"]!.AsArray().Select(f => f!["text"]!.GetValue<string>()).ToList();
        Assert.Contains($"*Artifact*\nweb/frontend/app:1.2@{digest}", fields);
        Assert.Contains("*Verdict*\nwarned", fields);
        Assert.Contains("*Pushed by*\nalice", fields);
        Assert.Contains("*Policy version*\nsha256:policy1", fields);
        var findingsText = blocks[3]!["text"]!["text"]!.GetValue<string>();
        Assert.Equal($"*Findings that decided it*\n• <https://avd.aquasec.com/nvd/cve-2024-0001|{opensslLine}>\n• {zlibLine}", findingsText);
        Assert.StartsWith("*What to do*\nThe image is signed", blocks[4]!["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var buttons = blocks[5]!["elements"]!.AsArray();
        Assert.Equal([harborLink, bridgeLink], buttons.Select(b => b!["url"]!.GetValue<string>()));
        Assert.Equal(["Open in Harbor", "Open in HarborBridge"], buttons.Select(b => b!["text"]!["text"]!.GetValue<string>()));

        // Teams: an Adaptive Card in the message envelope, valid against the schema.
        var t = Assert.Single(teams.Requests);
        AssertValid(TeamsSchema, t);
        var attachment = Json(t)["attachments"]![0]!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment["contentType"]!.GetValue<string>());
        var card = attachment["content"]!;
        await AssertOfficialParserAcceptsAsync(card);
        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());
        Assert.Equal(title, card["body"]![0]!["text"]!.GetValue<string>());
        var facts = card["body"]![2]!["facts"]!.AsArray().ToDictionary(f => f!["title"]!.GetValue<string>(), f => f!["value"]!.GetValue<string>());
        Assert.Equal("warned", facts["Verdict"]);
        Assert.Equal($"web/frontend/app:1.2@{digest}", facts["Artifact"]);
        Assert.Equal("2026-11-27 12:30:00 UTC", facts["At"]);
        Assert.Equal($"• [{opensslLine}](https://avd.aquasec.com/nvd/cve-2024-0001)\n• {zlibLine}", card["body"]![4]!["text"]!.GetValue<string>());
        Assert.Equal([harborLink, bridgeLink], card["actions"]!.AsArray().Select(a => a!["url"]!.GetValue<string>()));

        // Generic webhook: HMAC-SHA256 of the raw body with the shared secret, computed here independently.
        var w = Assert.Single(webhook.Requests);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), w.Body));
        Assert.Equal(expected, w.Headers["X-HarborBridge-Signature"]);
        var body = Json(w);
        Assert.Equal("dec-w1:warned:web-hook", body["id"]!.GetValue<string>());
        Assert.Equal("dec-w1:warned:web-hook", w.Headers["X-HarborBridge-Notification-Id"]);
        Assert.Equal("warned", body["kind"]!.GetValue<string>());
        Assert.Equal("trigger", body["action"]!.GetValue<string>());
        Assert.Equal("web", body["route"]!.GetValue<string>());
        Assert.Equal($"harborbridge:web/frontend/app@{digest}", body["incidentKey"]!.GetValue<string>());
        Assert.Equal("web", body["content"]!["artifact"]!["project"]!.GetValue<string>());
        Assert.Equal("frontend/app", body["content"]!["artifact"]!["repository"]!.GetValue<string>());
        Assert.Equal(digest, body["content"]!["artifact"]!["digest"]!.GetValue<string>());
        Assert.Equal("1.2", body["content"]!["tag"]!.GetValue<string>());
        var sentFindings = body["content"]!["findings"]!.AsArray();
        Assert.Equal(["CVE-2024-0001", "CVE-2024-0002"], sentFindings.Select(f => f!["id"]!.GetValue<string>()));
        Assert.Equal("3.0.2", sentFindings[0]!["fixedVersion"]!.GetValue<string>());
        Assert.Null(sentFindings[1]!["fixedVersion"]);
        // A tampered body no longer matches the signature.
        var tampered = w.Body.ToArray();
        tampered[^2] ^= 1;
        Assert.NotEqual(expected, "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), tampered)));

        // E-mail: one message to both recipients, text and HTML parts.
        var mail = Assert.Single(smtp.Messages());
        Assert.Equal(title, mail.Subject);
        Assert.Equal("harborbridge@example.test", mail.From.Mailboxes.Single().Address);
        Assert.Equal(["web-team@example.test", "lead@example.test"], mail.To.Mailboxes.Select(m => m.Address));
        Assert.Contains(opensslLine + " <https://avd.aquasec.com/nvd/cve-2024-0001>", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("\nPushed by: alice\n", (mail.TextBody ?? "").ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Open in Harbor: " + harborLink, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://avd.aquasec.com/nvd/cve-2024-0001\">HIGH CVE-2024-0001 in openssl 3.0.1 → 3.0.2</a>", mail.HtmlBody, StringComparison.Ordinal);
    }

    /// <summary>Team "payments" on Slack; on-call on PagerDuty for CRITICAL quarantines.</summary>
    private static Task<NotificationHost> PaymentsWithOnCallAsync(HttpReceiver team, HttpReceiver pagerDuty) => NotificationHost.StartAsync("""
        version: 1
        teams:
          - name: payments
            match: [{ project: payments }]
            channels: [pay-slack]
        onCall:
          channels: [oncall]
          minSeverity: CRITICAL
        """, new Dictionary<string, string>
    {
        ["pay-slack:Type"] = "Slack", ["pay-slack:Url"] = team.Url.ToString(),
        ["oncall:Type"] = "PagerDuty", ["oncall:Url"] = pagerDuty.Url.ToString(), ["oncall:RoutingKey"] = RoutingKey,
    });

    [Fact]
    public async Task QuarantinedThenReleased_PagerDutyTriggersThenResolvesTheSameIncident()
    {
        await using var pagerDuty = await HttpReceiver.StartAsync();
        await using var team = await HttpReceiver.StartAsync();
        await using var host = await PaymentsWithOnCallAsync(team, pagerDuty);
        var digest = NewDigest();
        var artifact = new ArtifactRef("payments", "api", digest);

        await host.Bus.Publish(new ArtifactQuarantined("dec-q1", artifact, "2.0", ["unsign", "label"], "CRITICAL findings block the artifact", [CurlCritical], At));
        Assert.True(await pagerDuty.WaitForAsync(1, Patience), "PagerDuty got no trigger");
        await host.Bus.Publish(new ArtifactReleased("rel-1", artifact, "alice", "false positive, exception PAY-12", "admin", At.AddHours(1)));
        Assert.True(await pagerDuty.WaitForAsync(2, Patience), "PagerDuty got no resolve");
        Assert.True(await team.WaitForAsync(2, Patience), "the team did not hear about both");

        var requests = pagerDuty.Requests.ToList();
        var trigger = Json(requests[0]);
        Assert.Equal(RoutingKey, trigger["routing_key"]!.GetValue<string>());
        Assert.Equal("trigger", trigger["event_action"]!.GetValue<string>());
        Assert.Equal($"harborbridge:payments/api@{digest}", trigger["dedup_key"]!.GetValue<string>());
        var payload = trigger["payload"]!;
        Assert.Equal($"Quarantined: payments/api:2.0@{digest[..19]}. CRITICAL findings block the artifact. Deciding findings: 1 CRITICAL.", payload["summary"]!.GetValue<string>());
        Assert.Equal("critical", payload["severity"]!.GetValue<string>());
        Assert.Equal("payments/api", payload["source"]!.GetValue<string>());
        Assert.Equal("api", payload["component"]!.GetValue<string>());
        Assert.Equal("payments", payload["group"]!.GetValue<string>());
        Assert.Equal("quarantined", payload["class"]!.GetValue<string>());
        Assert.Equal("unsign, label", payload["custom_details"]!["Quarantine"]!.GetValue<string>());
        Assert.Equal(["CRITICAL CVE-2024-0003 in curl 7.88.0 → 8.5.0"], payload["custom_details"]!["findings"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal($"https://bridge.example.test/api/v1/artifacts/{digest}", trigger["links"]![1]!["href"]!.GetValue<string>());

        var resolve = Json(requests[1]).AsObject();
        Assert.Equal(["routing_key", "event_action", "dedup_key"], resolve.Select(p => p.Key));
        Assert.Equal("resolve", resolve["event_action"]!.GetValue<string>());
        Assert.Equal(RoutingKey, resolve["routing_key"]!.GetValue<string>());
        Assert.Equal(trigger["dedup_key"]!.GetValue<string>(), resolve["dedup_key"]!.GetValue<string>());

        var released = Json(team.Requests.ToList()[1]);
        Assert.Equal($"Released from quarantine: payments/api@{digest[..19]}", released["blocks"]![0]!["text"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task OnCall_HighOnlyQuarantine_IsNotPagedWhenMinSeverityIsCritical()
    {
        await using var pagerDuty = await HttpReceiver.StartAsync();
        await using var team = await HttpReceiver.StartAsync();
        await using var host = await PaymentsWithOnCallAsync(team, pagerDuty);

        await host.Bus.Publish(new ArtifactQuarantined("dec-q2", new ArtifactRef("payments", "api", NewDigest()), null, ["label"], "HIGH findings", [OpensslHigh with { Outcome = "Block" }], At));

        Assert.True(await team.WaitForAsync(1, Patience), "the team was not told");
        await Task.Delay(1_000); // a page, if any, would have arrived with the team's message
        Assert.Equal(0, pagerDuty.Arrived);
    }

    [Fact]
    public async Task Dedup_RedeliveryFlappingAndChangedFindings_OneMessagePerChange()
    {
        await using var slack = await HttpReceiver.StartAsync();
        await using var host = await NotificationHost.StartAsync("""
            version: 1
            default:
              channels: [ops]
            """, new Dictionary<string, string> { ["ops:Type"] = "Slack", ["ops:Url"] = slack.Url.ToString() });
        var artifact = new ArtifactRef("lib", "base", NewDigest());
        var first = new ArtifactWarned("dec-1", artifact, null, "p1", "r1", [OpensslHigh], At);

        await host.Bus.Publish(first);
        Assert.True(await slack.WaitForAsync(1, Patience));
        await host.Bus.Publish(first);                                      // redelivery of the same event
        await host.Bus.Publish(first with { DecisionId = "dec-2" });        // a rescan with the same findings
        await host.Bus.Publish(first with { DecisionId = "dec-3", Findings = [ZlibMedium, OpensslHigh] }); // one finding more
        Assert.True(await slack.WaitForAsync(2, Patience), "the changed finding set was not sent");
        await host.Bus.Publish(first with { DecisionId = "dec-4" });        // flaps back to the first set within the window
        await Task.Delay(1_500);

        var requests = slack.Requests.ToList();
        Assert.Equal(2, requests.Count);
        var changed = Json(requests[1]);
        Assert.StartsWith("Findings changed. Warning: lib/base@", changed["blocks"]![0]!["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var whatChanged = changed["blocks"]!.AsArray().Select(b => b!["text"]?["text"]?.GetValue<string>()).Single(x => x?.StartsWith("*What changed*", StringComparison.Ordinal) == true);
        Assert.Equal("*What changed*\n+ new: CVE-2024-0002 (zlib)", whatChanged);
    }

    [Fact]
    public async Task Channel_Answering500Then200_GetsExactlyOneAcceptedMessage()
    {
        await using var slack = await HttpReceiver.StartAsync(500);
        await using var host = await NotificationHost.StartAsync("""
            version: 1
            default:
              channels: [ops]
            """, new Dictionary<string, string> { ["ops:Type"] = "Slack", ["ops:Url"] = slack.Url.ToString() });

        await host.Bus.Publish(new ArtifactWarned("dec-500", new ArtifactRef("lib", "retry", NewDigest()), null, "p1", "r1", [OpensslHigh], At));

        Assert.True(await slack.WaitForAsync(2, Patience), "the channel was not tried again after its 500");
        await Task.Delay(2_000); // any further (duplicate) attempt would arrive now
        var requests = slack.Requests.ToList();
        Assert.Equal([500, 200], requests.Select(r => r.AnsweredWith));
        Assert.Equal(requests[0].Body, requests[1].Body);
    }

    [Fact]
    public async Task Blocked_DryRunIsAnnounced_EnforcedWaitsForQuarantine()
    {
        await using var slack = await HttpReceiver.StartAsync();
        await using var host = await NotificationHost.StartAsync("""
            version: 1
            default:
              channels: [ops]
            """, new Dictionary<string, string> { ["ops:Type"] = "Slack", ["ops:Url"] = slack.Url.ToString() });
        var enforced = new ArtifactBlocked("dec-b1", new ArtifactRef("lib", "enforced", NewDigest()), null, "p", "r", "CRITICAL findings", [CurlCritical], true, At);
        var dryRun = new ArtifactBlocked("dec-b2", new ArtifactRef("lib", "dry", NewDigest()), null, "p", "r", "CRITICAL findings", [CurlCritical], false, At);

        await host.Bus.Publish(enforced);
        await host.Bus.Publish(dryRun);

        Assert.True(await slack.WaitForAsync(1, Patience));
        await Task.Delay(1_000);
        var only = Json(Assert.Single(slack.Requests));
        Assert.StartsWith("Would be blocked (dry-run): lib/dry@", only["blocks"]![0]!["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Digest_ListsWhatEachTeamWasToldInThePeriod()
    {
        await using var pagerDuty = await HttpReceiver.StartAsync();
        await using var team = await HttpReceiver.StartAsync();
        await using var host = await PaymentsWithOnCallAsync(team, pagerDuty);
        var warned = new ArtifactRef("payments", "web", NewDigest());
        var quarantined = new ArtifactRef("payments", "api", NewDigest());
        await host.Bus.Publish(new ArtifactWarned("dec-d1", warned, "1.0", "p", "r", [OpensslHigh], At));
        await host.Bus.Publish(new ArtifactQuarantined("dec-d2", quarantined, null, ["label"], "CRITICAL findings", [CurlCritical], At));
        Assert.True(await team.WaitForAsync(2, Patience) && await pagerDuty.WaitForAsync(1, Patience), "the events were not notified");

        var now = TimeProvider.System.GetUtcNow();
        await host.Bus.Publish(new SendNotificationDigest(now.AddHours(-1), now.AddHours(1)));

        Assert.True(await team.WaitForAsync(3, Patience), "no digest arrived");
        await Task.Delay(1_000);
        Assert.Equal(3, team.Requests.Count);
        Assert.Single(pagerDuty.Requests); // on-call gets pages, not digests
        var digest = Json(team.Requests.ToList()[2]);
        Assert.Equal("Daily digest for payments: 1 quarantined, 1 warned", digest["blocks"]![0]!["text"]!["text"]!.GetValue<string>());
        var fields = digest["blocks"]![2]!["fields"]!.AsArray().Select(f => f!["text"]!.GetValue<string>()).ToList();
        Assert.Contains($"*quarantined*\npayments/api@{quarantined.Digest}", fields);
        Assert.Contains($"*warned*\npayments/web:1.0@{warned.Digest}", fields);
    }
}
