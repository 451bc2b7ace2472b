using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Notifications;
using HarborBridge.Notifications;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Notifications;

public sealed class RoutingLoaderTests
{
    private static readonly string[] ExampleChannels = ["web-slack", "web-mail", "payments-teams", "audit-webhook", "oncall-pagerduty", "platform-slack"];

    private static DecidingFinding Finding(string severity) => new("CVE-1", "pkg", "1", "2", severity, null, "Block");

    [Fact]
    public void Load_ExampleRoutingFile_IsAcceptedWithItsTeamsOnCallAndDefault()
    {
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "routing.yaml"));

        var routing = RoutingLoader.Load(yaml, "config/routing.yaml", ExampleChannels);

        Assert.Equal(["web", "payments"], routing.Teams.Select(t => t.Name));
        Assert.Equal(["web-slack", "web-mail"], routing.Teams[0].Channels);
        Assert.Equal(Severity.Critical, routing.OnCall!.MinSeverity);
        Assert.Equal(["platform-slack"], routing.Default!.Channels);
    }

    [Fact]
    public void Resolve_ExampleFile_RoutesByOwnerAndPagesOnlyCriticalProduction()
    {
        var routing = RoutingLoader.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "routing.yaml")), "routing.yaml", ExampleChannels);
        var web = new ArtifactRef("web", "frontend/shop", "sha256:1");
        var webOther = new ArtifactRef("web", "backend/api", "sha256:2");

        Assert.Equal([new RouteTarget("web", "web-slack"), new RouteTarget("web", "web-mail"), new RouteTarget("on-call", "oncall-pagerduty")],
            routing.Resolve(NotificationKind.Quarantined, web, [Finding("CRITICAL")]));
        Assert.Equal([new RouteTarget("web", "web-slack"), new RouteTarget("web", "web-mail")],
            routing.Resolve(NotificationKind.Quarantined, web, [Finding("HIGH")]));
        // web/backend/api belongs to no team (only frontend/* and landing), and is not a production repository.
        Assert.Equal([new RouteTarget("default", "platform-slack")], routing.Resolve(NotificationKind.Quarantined, webOther, [Finding("CRITICAL")]));
        Assert.Equal([new RouteTarget("default", "platform-slack"), new RouteTarget("on-call", "oncall-pagerduty")],
            routing.Resolve(NotificationKind.OperatorAlert, null, []));
        Assert.Equal([new RouteTarget("payments", "payments-teams"), new RouteTarget("payments", "audit-webhook")],
            routing.Resolve(NotificationKind.Warned, new ArtifactRef("payments", "x", "sha256:3"), [Finding("HIGH")]));
    }

    [Theory]
    [InlineData("version: 1\nteams:\n  - name: web\n    match: [{ project: web }]\n    channels: [nope]\n", "line 5, column 16: teams[0].channels[0]: unknown channel 'nope'")]
    [InlineData("version: 1\nteams:\n  - name: web\n    match: [{ project: web }]\n    channels: [a]\n    event: [warned]\n", "line 6, column 5: teams[0].event: unknown key 'event'")]
    [InlineData("version: 1\nteams:\n  - name: web\n    match: [{ project: web }]\n    channels: [a]\n    events: [warn]\n", "line 6, column 14: teams[0].events[0]: unknown event 'warn'")]
    [InlineData("version: 1\nonCall:\n  channels: [a]\n  minSeverity: SEVERE\n", "line 4, column 16: onCall.minSeverity: unknown severity 'SEVERE'")]
    [InlineData("version: 1\nteams:\n  - name: web\n    channels: [a]\n", "line 3, column 5: teams[0].match: missing")]
    [InlineData("version: 1\nteams:\n  - name: web\n    match: [{ project: \"[ab\" }]\n    channels: [a]\n", "line 4, column 24: teams[0].match[0].project: bad glob '[ab'")]
    [InlineData("version: 2\n", "line 1, column 10: version: unsupported version")]
    [InlineData("teams: []\n", "line 1, column 1: version: missing")]
    [InlineData("version: 1\ndefault:\n  channels: []\n", "default.channels: missing; name at least one channel")]
    public void Load_BadFile_ErrorNamesLineColumnAndField(string yaml, string expected)
    {
        var e = Assert.Throws<RoutingFileException>(() => RoutingLoader.Load(yaml, "routing.yaml", ["a"]));

        Assert.StartsWith("routing.yaml: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_YamlSyntaxError_SaysSoWithTheLine()
    {
        var e = Assert.Throws<RoutingFileException>(() => RoutingLoader.Load("version: 1\nteams: [\n", "routing.yaml"));

        Assert.Matches(@"^routing\.yaml: line \d+, column \d+: YAML syntax error", e.Message);
    }

    [Fact]
    public async Task Start_RoutingNamesAnUnconfiguredChannel_FailsWithTheSettingLineAndField()
    {
        var file = Path.Combine(Path.GetTempPath(), $"hb-routing-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "version: 1\nteams:\n  - name: web\n    match: [{ project: web }]\n    channels: [web-slack, web-slak]\n");
        try
        {
            var options = Options.Create(new NotificationOptions
            {
                RoutingFile = file,
                Channels = { ["web-slack"] = new ChannelOptions { Type = ChannelType.Slack, Url = "https://hooks.example.test/x" } },
            });
            var start = new RoutingValidationHostedService(new RoutingProvider(options, NullLogger<RoutingProvider>.Instance));

            var e = await Assert.ThrowsAsync<OptionsValidationException>(() => start.StartAsync(default));

            Assert.Equal($"HarborBridge:Notifications:RoutingFile: {Path.GetFileName(file)}: line 5, column 27: teams[0].channels[1]: unknown channel 'web-slak' (configured: web-slack)",
                Assert.Single(e.Failures));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
