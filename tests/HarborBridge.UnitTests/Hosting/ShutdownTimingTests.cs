using System.Diagnostics;
using HarborBridge.Hosting;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace HarborBridge.UnitTests.Hosting;

public sealed class ShutdownTimingTests
{
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    [InlineData("00:10:01")]
    [InlineData("1.00:00:00")]
    public void AddMessagingTuning_StopTimeoutOutOfRange_FailsWithTheSettingName(string value)
    {
        using var provider = Services(value).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MessagingOptions>>().Value);

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("HarborBridge:Messaging:StopTimeout: ", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00.500", 0.5)]
    [InlineData("00:00:20", 20)]
    [InlineData("00:10:00", 600)]
    public void AddMessagingTuning_StopTimeoutInRange_IsTaken(string value, double seconds)
    {
        using var provider = Services(value).BuildServiceProvider();

        Assert.Equal(TimeSpan.FromSeconds(seconds), provider.GetRequiredService<IOptions<MessagingOptions>>().Value.StopTimeout);
    }

    [Fact]
    public void AddShutdownTiming_Defaults_ConsumersGet15SecondsAndEverythingStopsWithin20()
    {
        using var provider = Services(null).AddShutdownTiming().BuildServiceProvider();

        var bus = provider.GetRequiredService<IOptions<MassTransitHostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(15), bus.ConsumerStopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), bus.StopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), provider.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void AddShutdownTiming_StopTimeout7Seconds_ConsumersGet7AndHostAndBus12()
    {
        using var provider = Services("00:00:07").AddShutdownTiming().BuildServiceProvider();

        var bus = provider.GetRequiredService<IOptions<MassTransitHostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(7), bus.ConsumerStopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), bus.StopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), provider.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    /// <summary>A message that keeps failing sits in a 60 s retry delay; stopping the bus with a 1 s stop timeout ends
    /// the delay: the stop takes seconds, the message is not tried again and no Fault is published (which would raise a
    /// poison-message alert).</summary>
    [Fact]
    public async Task StopBus_MessageInLongRetryDelay_StopsWithinSecondsWithoutFault()
    {
        var attempts = new FailingProbeAttempts();
        await using var provider = Services("00:00:01")
            .AddLogging()
            .AddShutdownTiming()
            .AddSingleton(attempts)
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<FailingProbeConsumer>();
                x.AddConfigureEndpointsCallback((_, _, endpoint) => endpoint.UseMessageRetry(r => r.Intervals(60_000)));
            })
            .BuildServiceProvider(true);
        var harness = await StartAfterFirstFailedAttemptAsync(provider, attempts);

        await Task.Delay(TimeSpan.FromMilliseconds(300)); // into the retry delay
        var clock = Stopwatch.StartNew();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(45)))
        {
            await harness.Stop(limit.Token);
        }

        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the bus took {clock.Elapsed} to stop");
        Assert.Equal(1, attempts.Count);
        Assert.Empty(harness.Published.Select<Fault<FailingProbe>>());
    }

    /// <summary>Stopping begins while a message waits in a 2 s retry delay: when the delay ends no retry runs (Harbor
    /// might still be down, and a failed last retry would move the message to its error queue); the message waits for
    /// the stop timeout and is cancelled without a Fault.</summary>
    [Fact]
    public async Task StopGate_StoppingDuringRetryDelay_NoFurtherAttemptAndNoFault()
    {
        var attempts = new FailingProbeAttempts();
        using var stopping = new CancellationTokenSource();
        var lifetime = Substitute.For<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Returns(stopping.Token);
        await using var provider = Services("00:00:01")
            .AddLogging()
            .AddShutdownTiming()
            .AddSingleton(attempts)
            .AddSingleton(lifetime)
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<FailingProbeConsumer>();
                x.AddConfigureEndpointsCallback((context, _, endpoint) =>
                {
                    endpoint.UseMessageRetry(r => r.Intervals(2_000));
                    endpoint.UseConsumeFilter(typeof(StopGateFilter<>), context);
                });
            })
            .BuildServiceProvider(true);
        var harness = await StartAfterFirstFailedAttemptAsync(provider, attempts);

        await stopping.CancelAsync();
        await Task.Delay(TimeSpan.FromSeconds(3.5)); // the 2 s delay is over: without the gate the retry has run by now
        var attemptsBeforeStop = attempts.Count;
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(45)))
        {
            await harness.Stop(limit.Token);
        }

        Assert.Equal(1, attemptsBeforeStop);
        Assert.Equal(1, attempts.Count);
        Assert.Empty(harness.Published.Select<Fault<FailingProbe>>());
    }

    /// <summary>Starts the bus, publishes one probe and waits (bounded) until its first attempt has failed.</summary>
    private static async Task<ITestHarness> StartAfterFirstFailedAttemptAsync(IServiceProvider provider, FailingProbeAttempts attempts)
    {
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        await harness.Bus.Publish(new FailingProbe());
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (attempts.Count < 1)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), limit.Token);
        }

        return harness;
    }

    private static IServiceCollection Services(string? stopTimeout)
    {
        var settings = new Dictionary<string, string?>();
        if (stopTimeout is not null)
        {
            settings["HarborBridge:Messaging:StopTimeout"] = stopTimeout;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddMessagingTuning();
    }

    public sealed record FailingProbe;

    public sealed class FailingProbeAttempts
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    public sealed class FailingProbeConsumer(FailingProbeAttempts attempts) : IConsumer<FailingProbe>
    {
        public Task Consume(ConsumeContext<FailingProbe> context)
        {
            attempts.Add();
            throw new InvalidOperationException("Harbor is down");
        }
    }
}
