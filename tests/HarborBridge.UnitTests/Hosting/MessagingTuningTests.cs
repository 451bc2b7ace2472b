using HarborBridge.Hosting;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Hosting;

public sealed class MessagingTuningTests
{
    private const int Messages = 6;
    private static readonly IConfiguration EmptyConfiguration = new ConfigurationBuilder().Build();

    [Fact]
    public async Task ApplyConcurrency_EndpointOverride_LimitsMessagesInFlightOnThatQueue()
    {
        var peak = await PeakConcurrencyAsync(o => o.Endpoints["probe"] = 2, expected: 2);

        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task ApplyConcurrency_GeneralLimit_AppliesToEveryQueue()
    {
        var peak = await PeakConcurrencyAsync(o => o.ConcurrentMessageLimit = 3, expected: 3);

        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task ApplyConcurrency_Defaults_LetAllSixMessagesRunAtOnce()
    {
        // The default limit (16) is above the six messages sent, so all run together: the limits above are ours.
        var peak = await PeakConcurrencyAsync(_ => { }, expected: Messages);

        Assert.Equal(Messages, peak);
    }

    [Fact]
    public void Validate_EndpointLimitOutOfRange_NamesTheSetting()
    {
        var options = new MessagingOptions { Endpoints = { ["sign-approved-artifact"] = 0, ["request-scan"] = 4 } };

        var result = new MessagingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains("HarborBridge:Messaging:Endpoints:sign-approved-artifact", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMessagingTuning_GeneralLimitZero_FailsWithTheSettingName()
    {
        using var provider = new ServiceCollection().AddSingleton(EmptyConfiguration).AddMessagingTuning()
            .Configure<MessagingOptions>(o => o.ConcurrentMessageLimit = 0).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MessagingOptions>>().Value);

        Assert.Contains("HarborBridge:Messaging:ConcurrentMessageLimit", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Sends six messages to a consumer that holds each until released, and returns how many it held at once:
    /// waits (bounded) until <paramref name="expected"/> have started, then a second more in which any message beyond
    /// the limit would start too.</summary>
    private static async Task<int> PeakConcurrencyAsync(Action<MessagingOptions> configure, int expected)
    {
        var gate = new ProbeGate();
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(gate)
            .AddSingleton(EmptyConfiguration)
            .AddMessagingTuning()
            .Configure(configure)
            .AddMassTransitTestHarness(x =>
            {
                x.SetKebabCaseEndpointNameFormatter();
                x.AddConsumer<ProbeConsumer>();
                x.AddConfigureEndpointsCallback((context, name, endpoint) => endpoint.ApplyConcurrency(name, context));
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            for (var i = 0; i < Messages; i++)
            {
                await harness.Bus.Publish(new Probe(i));
            }

            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (gate.Started < expected)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), limit.Token);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), limit.Token);

            gate.Release.TrySetResult();
            Assert.True(await harness.Consumed.Any<Probe>(m => m.Context.Message.Number == Messages - 1));
            return gate.Peak;
        }
        finally
        {
            gate.Release.TrySetResult();
            await harness.Stop();
        }
    }

    public sealed record Probe(int Number);

    public sealed class ProbeGate
    {
        private int _inFlight;
        private int _started;
        private int _peak;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Started => Volatile.Read(ref _started);

        public int Peak => Volatile.Read(ref _peak);

        public async Task HoldAsync(CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            Interlocked.Increment(ref _started);
            int seen;
            while (now > (seen = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
            {
            }

            try
            {
                await Release.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    public sealed class ProbeConsumer(ProbeGate gate) : IConsumer<Probe>
    {
        public Task Consume(ConsumeContext<Probe> context) => gate.HoldAsync(context.CancellationToken);
    }
}
