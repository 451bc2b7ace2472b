using System.Collections.Concurrent;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Notifications;
using HarborBridge.Hosting;
using HarborBridge.Notifications;
using HarborBridge.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace HarborBridge.UnitTests.Notifications;

/// <summary>Routing may publish a delivery twice and the broker may deliver it twice; the channel gets it once. A
/// publish that fails after routing claimed the news does not lose it. Real stores on a SQLite file, a recording channel.</summary>
public sealed class NotificationDeliveryOnceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 30, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("lib", "base", "sha256:" + new string('e', 64));
    private static readonly DecidingFinding Openssl = new("CVE-2024-0001", "openssl", "3.0.1", "3.0.2", "HIGH", null, "Warn");
    private static readonly DecidingFinding Zlib = new("CVE-2024-0002", "zlib", "1.2.11", null, "HIGH", null, "Warn");

    private readonly RecordingChannel _channel = new();
    private SqliteHarness _host = null!;

    private ITestHarness Harness => _host.Harness;

    public async Task InitializeAsync()
    {
        var dir = SqliteHarness.NewFolder("deliver");
        var routing = Path.Combine(dir, "routing.yaml");
        await File.WriteAllTextAsync(routing, "version: 1\ndefault:\n  channels: [ops]\n");
        _host = await SqliteHarness.StartAsync(
            dir,
            services => services
                .AddSingleton(TimeProvider.System)
                .Configure<NotificationOptions>(o =>
                {
                    o.RoutingFile = routing;
                    o.Channels["ops"] = new ChannelOptions { Type = ChannelType.Slack, Url = "https://hooks.example.test/x" };
                })
                .AddSingleton<IArtifactStore, SqlArtifactStore>()
                .AddSingleton<RoutingProvider>()
                .AddSingleton<NotificationLog>()
                .AddSingleton<NotificationDeliveryLog>()
                .AddSingleton<NotificationDispatcher>()
                .AddSingleton<IChannelSender>(_channel),
            x =>
            {
                x.AddConsumer<NotifyWarnedConsumer>();
                x.AddConsumer<DeliverNotificationConsumer>();
            });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static ArtifactWarned Warned(string decisionId, params DecidingFinding[] findings) =>
        new(decisionId, Artifact, "1.0", "p1", "r1", findings, At);

    private static DeliverNotification Delivery(string id) =>
        new(id, "ops", "default", "trigger", "harborbridge:x", new NotificationContent("warned", "warning", "t", "s", Artifact, null, [], [], [], [], "n", []), At);

    private async Task<int> ConsumedAsync<T>(int atLeast)
        where T : class
    {
        for (var i = 0; i < 200 && Harness.Consumed.Select<T>().Count() < atLeast; i++)
        {
            await Task.Delay(100);
        }

        await Task.Delay(200); // a further (unexpected) copy would be consumed by now
        return Harness.Consumed.Select<T>().Count();
    }

    [Fact]
    public async Task RoutingMessageRedelivered_PublishesTheDeliveryAgain_ChannelGetsOne()
    {
        await Harness.Bus.Publish(Warned("dec-1", Openssl));
        await ConsumedAsync<DeliverNotification>(1);
        await Harness.Bus.Publish(Warned("dec-1", Openssl)); // the same event again (broker redelivery)

        Assert.Equal(2, await ConsumedAsync<DeliverNotification>(2));
        Assert.Equal(["dec-1:warned:ops", "dec-1:warned:ops"], Harness.Published.Select<DeliverNotification>().Select(m => m.Context.Message.NotificationId));
        Assert.Equal(["dec-1:warned:ops"], _channel.Sent);
    }

    [Fact]
    public async Task DeliveryRedelivered_ChannelGetsOne()
    {
        await Harness.Bus.Publish(Delivery("n-1"));
        await ConsumedAsync<DeliverNotification>(1);
        await Harness.Bus.Publish(Delivery("n-1"));
        await Harness.Bus.Publish(Delivery("n-2"));

        Assert.Equal(3, await ConsumedAsync<DeliverNotification>(3));
        Assert.Equal(["n-1", "n-2"], _channel.Sent.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PublishFailsAfterRouting_RetriedRoutingPublishesTheSameNotification_WithWhatChanged()
    {
        var dispatcher = _host.Get<NotificationDispatcher>();
        var first = Substitute.For<IPublishEndpoint>();
        await dispatcher.DispatchAsync(NotificationEvent.From(Warned("dec-1", Openssl)), first, default);
        await first.Received(1).Publish(Arg.Any<DeliverNotification>(), Arg.Any<CancellationToken>());

        // The next change is claimed in the database, then the broker refuses the publish: the consumer fails and retries.
        var broken = Substitute.For<IPublishEndpoint>();
        broken.Publish(Arg.Any<DeliverNotification>(), Arg.Any<CancellationToken>()).ThrowsAsync(new InvalidOperationException("broker gone"));
        var changed = NotificationEvent.From(Warned("dec-2", Openssl, Zlib));
        await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(changed, broken, default));

        var retry = Substitute.For<IPublishEndpoint>();
        await dispatcher.DispatchAsync(changed, retry, default);

        var published = (DeliverNotification)retry.ReceivedCalls().Single().GetArguments()[0]!;
        Assert.Equal("dec-2:warned:ops", published.NotificationId);
        Assert.Equal(["CVE-2024-0002 (zlib)"], published.Content.Added); // the retry still says what changed
        Assert.Empty(published.Content.Removed);

        // Another decision with the same findings is still flapping, not news.
        var flap = Substitute.For<IPublishEndpoint>();
        await dispatcher.DispatchAsync(NotificationEvent.From(Warned("dec-3", Openssl, Zlib)), flap, default);
        Assert.Empty(flap.ReceivedCalls());
    }

    [Fact]
    public async Task TwoCopiesAtOnce_OneSend_FailedSendIsNotRecorded()
    {
        var log = _host.Get<NotificationDeliveryLog>();
        var gate = new TaskCompletionSource();
        var sends = 0;
        Func<CancellationToken, Task> send = async ct =>
        {
            Interlocked.Increment(ref sends);
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        };

        var a = log.DeliverOnceAsync("n-9", "ops", send, default);
        var b = log.DeliverOnceAsync("n-9", "ops", send, default);
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref sends)); // the second copy waits for the first
        gate.SetResult();

        Assert.Equal([false, true], (await Task.WhenAll(a, b)).Order());
        Assert.Equal(1, sends);

        await Assert.ThrowsAsync<TimeoutException>(() => log.DeliverOnceAsync("n-10", "ops", _ => throw new TimeoutException(), default));
        Assert.True(await log.DeliverOnceAsync("n-10", "ops", _ => Task.CompletedTask, default)); // not recorded as delivered: sent now
        Assert.False(await log.DeliverOnceAsync("n-10", "ops", _ => throw new InvalidOperationException("must not send"), default));
    }

    private sealed class RecordingChannel : IChannelSender
    {
        private readonly ConcurrentQueue<string> _sent = new();

        public ChannelType Type => ChannelType.Slack;

        public IReadOnlyList<string> Sent => [.. _sent];

        public Task SendAsync(DeliverNotification notification, ChannelOptions channel, CancellationToken cancellationToken)
        {
            _sent.Enqueue(notification.NotificationId);
            return Task.CompletedTask;
        }
    }
}
