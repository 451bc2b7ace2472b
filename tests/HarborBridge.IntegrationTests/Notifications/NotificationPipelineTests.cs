using System.Security.Cryptography;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Serilog.Core;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>Notifications on the production set-up: real RabbitMQ and PostgreSQL (and, for decisions, the Harbor
/// simulator in front of the real docker-registry).</summary>
public sealed class NotificationPipelineTests : IAsyncLifetime
{
    private const string SlackSecretPath = "secret-path-XYZ";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-notify-pipe-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _database = await PostgresDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private string RoutingFile()
    {
        var file = Path.Combine(_directory, "routing.yaml");
        File.WriteAllText(file, "version: 1\ndefault:\n  channels: [ops]\n");
        return file;
    }

    [Fact]
    public async Task DeadChannel_WhileItHangs_DecisionsKeepComing()
    {
        await using var slack = await HttpReceiver.StartAsync();
        slack.Hang = true;
        var policyFile = Path.Combine(_directory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  warn: { severity: HIGH }\n");
        var project = "ntf" + Guid.NewGuid().ToString("N")[..8];
        var report = TestEnvironment.FixturePath("policy", "harbor", "vulnerabilities_addition.response.json"); // 1 High, 1 Low -> warn
        HarborBridgeFactory? factory = null;
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            Reports = { [$"{project}/first"] = report, [$"{project}/second"] = report },
            ScanDelay = TimeSpan.FromMilliseconds(200),
            WebhookHandler = () => factory!.Server.CreateHandler(),
        }, project: project);
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
        var settings = await HarborBridgeFactory.PipelineAsync(_database, session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        foreach (var (key, value) in NotificationHost.BaseSettings(RoutingFile()))
        {
            settings[key] = value;
        }

        settings["HarborBridge:Notifications:Channels:ops:Type"] = "Slack";
        settings["HarborBridge:Notifications:Channels:ops:Url"] = slack.Url.ToString();
        factory = new HarborBridgeFactory(settings);
        await using (factory)
        {
            using var client = factory.CreateClient();
            Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
            var decisions = factory.Services.GetRequiredService<IDecisionStore>();

            var first = await session.PushImageAsync("first", "v1", TestServices.Timeout(120));
            Assert.True(await TestEnvironment.EventuallyAsync(async () => (await decisions.GetDecisionsAsync(first.ManifestDigest, default)).Count == 1, Patience),
                "no decision for the first image");
            Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(slack.Arrived >= 1), Patience), "the warning was never sent to the channel");

            // The channel now holds a delivery open and answers nothing; the next push must still be decided.
            var second = await session.PushImageAsync("second", "v1", TestServices.Timeout(120));
            Assert.True(await TestEnvironment.EventuallyAsync(async () => (await decisions.GetDecisionsAsync(second.ManifestDigest, default)).Count == 1, Patience),
                "no decision for the second image while the channel hangs");
            Assert.Equal("Warn", (await decisions.GetDecisionsAsync(second.ManifestDigest, default)).Single().Verdict);
            Assert.Empty(slack.Requests); // not one delivery was answered in all that time
        }
    }

    [Fact]
    public async Task DeadChannel_DeliveryEndsInErrorQueue_ReplayDeliversIt_AndNoSecretIsLogged()
    {
        const string routingKeyLikeSecret = "hmac-SECRET-key-31337";
        // The channel is dead: its receiver drops every connection unanswered. (Keeping the port rather than leaving it
        // free: a free port in the ephemeral range can be taken by another test's outgoing connection meanwhile.)
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.Refuse = true;
        var url = $"http://127.0.0.1:{receiver.Url.Port}/hook/T000/B000/{SlackSecretPath}";
        var node = RabbitMqNode.Shared();
        var vhost = await node.CreateVirtualHostAsync();
        var settings = HarborBridgeFactory.RealServices(node, vhost, _database);
        foreach (var (key, value) in NotificationHost.BaseSettings(RoutingFile()))
        {
            settings[key] = value;
        }

        settings["HarborBridge:Notifications:Channels:ops:Type"] = "Webhook";
        settings["HarborBridge:Notifications:Channels:ops:Url"] = url;
        settings["HarborBridge:Notifications:Channels:ops:Secret"] = routingKeyLikeSecret;
        settings["Serilog:MinimumLevel:Default"] = "Verbose";
        var sink = new CapturingSink();
        await using var factory = new HarborBridgeFactory(settings, s => s.AddSingleton<ILogEventSink>(sink));
        using var client = factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
        var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

        await factory.Services.GetRequiredService<IBus>().Publish(new ArtifactWarned("dec-dead", new ArtifactRef("lib", "dead", digest), null, "p", "r",
            [new DecidingFinding("CVE-2024-0001", "openssl", "3.0.1", "3.0.2", "HIGH", null, "Warn")], DateTimeOffset.UnixEpoch));

        var connections = new ConnectionFactory { HostName = "127.0.0.1", Port = node.Port, VirtualHost = vhost, UserName = "guest", Password = "guest" };
        await using var connection = await connections.CreateConnectionAsync();
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await ErrorCountAsync(connection) == 1, TimeSpan.FromSeconds(90)),
            "the undeliverable notification did not reach deliver-notification_error");
        await using var channel = await connection.CreateChannelAsync();

        // Replay: the channel is back; move the message from the error queue to the delivery queue's exchange.
        receiver.Refuse = false;
        var failed = await channel.BasicGetAsync("deliver-notification_error", autoAck: false);
        Assert.NotNull(failed);
        await channel.BasicPublishAsync("deliver-notification", "", false, new BasicProperties(failed.BasicProperties), failed.Body);
        await channel.BasicAckAsync(failed.DeliveryTag, multiple: false);

        Assert.True(await receiver.WaitForAsync(1, Patience), "the replayed notification was not delivered");
        var delivered = Assert.Single(receiver.Requests);
        Assert.Equal("dec-dead:warned:ops", delivered.Headers["X-HarborBridge-Notification-Id"]);
        Assert.Equal(0u, await ErrorCountAsync(connection));

        var logs = sink.Render();
        Assert.Contains("deliver", logs, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SlackSecretPath, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(routingKeyLikeSecret, logs, StringComparison.Ordinal);
    }

    /// <summary>Messages in the error queue; 0 while it does not exist (MassTransit creates it with the first fault).
    /// A passive declare of a missing queue closes its channel, so each check uses a channel of its own.</summary>
    private static async Task<uint> ErrorCountAsync(IConnection connection)
    {
        await using var probe = await connection.CreateChannelAsync();
        try
        {
            return (await probe.QueueDeclarePassiveAsync("deliver-notification_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }
}
