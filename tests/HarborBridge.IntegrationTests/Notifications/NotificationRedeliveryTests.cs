using System.Security.Cryptography;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Persistence;
using HarborBridge.Notifications;
using HarborBridge.Persistence;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>One receiver message per notification on the production set-up (RabbitMQ, PostgreSQL, a webhook receiver
/// on 127.0.0.1): the same event or the same delivery arriving twice, and the broker refusing the delivery's publish
/// right after routing claimed it.</summary>
public sealed class NotificationRedeliveryTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly DecidingFinding Openssl = new("CVE-2024-0001", "openssl", "3.0.1", "3.0.2", "HIGH", null, "Warn");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-notify-redeliver-" + Guid.NewGuid().ToString("N"));
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

    private static ArtifactRef NewArtifact(string repository) => new("lib", repository, "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    private async Task<HarborBridgeFactory> StartAsync(RabbitMqNode node, string vhost, HttpReceiver receiver)
    {
        var routing = Path.Combine(_directory, "routing.yaml");
        await File.WriteAllTextAsync(routing, "version: 1\ndefault:\n  channels: [ops]\n");
        var settings = HarborBridgeFactory.RealServices(node, vhost, _database);
        foreach (var (key, value) in NotificationHost.BaseSettings(routing))
        {
            settings[key] = value;
        }

        settings["HarborBridge:Notifications:Channels:ops:Type"] = "Webhook";
        settings["HarborBridge:Notifications:Channels:ops:Url"] = receiver.Url.ToString();
        settings["HarborBridge:Notifications:Channels:ops:Secret"] = "redelivery-test-key";
        var factory = new HarborBridgeFactory(settings);
        using var client = factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
        return factory;
    }

    /// <summary>Messages the receiver accepted, by notification id.</summary>
    private static Dictionary<string, int> ById(HttpReceiver receiver) =>
        receiver.Requests.Where(r => r.AnsweredWith == 200).GroupBy(r => r.Headers["X-HarborBridge-Notification-Id"]).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public async Task EventAndDeliveryEachArrivingTwice_ReceiverGetsOneMessageEach()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var node = RabbitMqNode.Shared();
        await using var factory = await StartAsync(node, await node.CreateVirtualHostAsync(), receiver);
        var bus = factory.Services.GetRequiredService<IBus>();
        var warned = new ArtifactWarned("dec-twice", NewArtifact("twice"), "1.0", "p1", "r1", [Openssl], DateTimeOffset.UnixEpoch);
        var delivery = new DeliverNotification("manual-1:ops", "ops", "default", "trigger", "harborbridge:manual",
            new NotificationContent("warned", "warning", "Manual", "twice", null, null, [], [], [], [], "nothing", []), DateTimeOffset.UnixEpoch);

        // Each message twice, the second copies while the first are being handled: routing publishes the delivery
        // again for the repeated event, and the broker carries two copies of the delivery command.
        await Task.WhenAll(bus.Publish(warned), bus.Publish(warned), bus.Publish(delivery), bus.Publish(delivery));

        Assert.True(await receiver.WaitForAsync(2, Patience), "the notifications did not arrive");
        await Task.Delay(3_000); // a duplicate would arrive by now
        Assert.Equal(new Dictionary<string, int> { ["dec-twice:warned:ops"] = 1, ["manual-1:ops"] = 1 }, ById(receiver));
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notification_delivery"));
    }

    [Fact]
    public async Task BrokerRefusesTheDeliveryPublishAfterRouting_NotificationStillArrivesOnce()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var node = RabbitMqNode.Shared();
        var vhost = await node.CreateVirtualHostAsync();
        await using var factory = await StartAsync(node, vhost, receiver);
        var script = Path.Combine(TestEnvironment.Require("HB_TEST_TOOLS"), "rabbitmq-node.sh");
        // The delivery queue refuses every message (publisher confirm: nack) until the policy goes.
        await TestEnvironment.RunAsync(script, ["ctl", node.Directory, "set_policy", "-p", vhost, "--apply-to", "queues", "refuse-deliveries",
            "^deliver-notification$", """{"max-length":0,"overflow":"reject-publish"}"""], TimeSpan.FromSeconds(60));
        var artifact = NewArtifact("refused");

        await factory.Services.GetRequiredService<IBus>().Publish(new ArtifactWarned("dec-refused", artifact, "1.0", "p1", "r1", [Openssl], DateTimeOffset.UnixEpoch));

        // Routing has claimed the news in the database, and its publish was refused: nothing reached the receiver.
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM notification_log WHERE digest = @d", new { d = artifact.Digest }) == 1, Patience), "routing did not claim the notification");
        await Task.Delay(1_500);
        Assert.Equal(0, receiver.Arrived);

        await TestEnvironment.RunAsync(script, ["ctl", node.Directory, "clear_policy", "-p", vhost, "refuse-deliveries"], TimeSpan.FromSeconds(60));

        Assert.True(await receiver.WaitForAsync(1, Patience), "the notification was lost after the refused publish");
        await Task.Delay(2_000);
        Assert.Equal(new Dictionary<string, int> { ["dec-refused:warned:ops"] = 1 }, ById(receiver));
    }

    [Fact]
    public async Task TwoProcessesSendingTheSameIdAtOnce_OneSend_ACrashedSendIsSentAgain()
    {
        var (services, cleanup) = await ArtifactStoreTests.CreateServicesAsync("Postgres");
        await using var _ = cleanup;
        var connections = services.GetRequiredService<DbConnectionFactory>();
        // Two instances: two processes' worth of in-memory state, one database.
        var first = new NotificationDeliveryLog(connections, TimeProvider.System);
        var second = new NotificationDeliveryLog(connections, TimeProvider.System);
        var release = new TaskCompletionSource();
        var sends = 0;
        Func<CancellationToken, Task> slowSend = async ct =>
        {
            Interlocked.Increment(ref sends);
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        };

        var a = first.DeliverOnceAsync("dec-x:warned:ops", "ops", slowSend, default);
        await Task.Delay(300);
        var b = second.DeliverOnceAsync("dec-x:warned:ops", "ops", slowSend, default);
        await Task.Delay(500);
        Assert.Equal(1, Volatile.Read(ref sends)); // the second process waits on the first one's row
        release.SetResult();

        Assert.True(await a);
        Assert.False(await b);
        Assert.Equal(1, sends);

        // A send that dies half-way (here: throws) leaves nothing behind, so the redelivered message sends.
        await Assert.ThrowsAsync<HttpRequestException>(() => first.DeliverOnceAsync("dec-y:warned:ops", "ops", _ => throw new HttpRequestException("reset"), default));
        Assert.True(await second.DeliverOnceAsync("dec-y:warned:ops", "ops", _ => Task.CompletedTask, default));
    }
}
