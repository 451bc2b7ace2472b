using System.Reflection;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;
using HarborBridge.Contracts;
using HarborBridge.Hosting;
using HarborBridge.Notifications;
using MassTransit;
using Microsoft.Extensions.Time.Testing;

namespace HarborBridge.UnitTests.Consumers;

/// <summary>Every message type a HarborBridge consumer takes can end in <c>&lt;queue&gt;_error</c>; each one's fault must
/// raise an alert (audit #10: release, re-evaluate, deadline, delete, pull, registry events and notification delivery
/// used to sit there silently).</summary>
public sealed class PoisonMessageAlertCoverageTests
{
    [Fact]
    public void PoisonConsumer_HandlesTheFaultOfEveryConsumedMessageType()
    {
        var assembly = typeof(PoisonMessageAlertConsumer).Assembly;
        var consumed = assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            .Where(m => !(m.IsGenericType && m.GetGenericTypeDefinition() == typeof(Fault<>)))
            .ToHashSet();
        var handled = typeof(PoisonMessageAlertConsumer).GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0].GetGenericArguments()[0])
            .ToHashSet();

        Assert.True(consumed.Count > 15, $"only {consumed.Count} consumed types found: the scan is broken");
        Assert.Empty(consumed.Except(handled).Select(t => t.Name));
    }

    [Theory]
    [InlineData(TransportKind.RabbitMq, "kept in the RabbitMQ queue request-scan_error", "move it back to request-scan")]
    [InlineData(TransportKind.InMemory, "CANNOT be replayed", "lost at the next restart")]
    public void ReplayAdvice_SaysWhatTheTransportAllows(TransportKind transport, string first, string second)
    {
        var advice = PoisonMessageAlertConsumer.ReplayAdvice(transport, "request-scan");

        Assert.Contains(first, advice, StringComparison.Ordinal);
        Assert.Contains(second, advice, StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregator_4000AlertsOfOneCauseAndOneOfAnother_TwoNotificationsWithTheirCountsAfterTheWindow()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var aggregator = new OperatorAlertAggregator(clock);
        for (var i = 0; i < 4_000; i++)
        {
            aggregator.Add(Alert($"poison:request-scan:{i}", "poison:request-scan:System.TimeoutException", clock.GetUtcNow()));
        }

        aggregator.Add(Alert("poison:sign:1", "poison:sign-approved-artifact:System.IO.IOException", clock.GetUtcNow()));

        Assert.Empty(aggregator.TakeDue(TimeSpan.FromMinutes(1), all: false));
        clock.Advance(TimeSpan.FromMinutes(1));
        var due = aggregator.TakeDue(TimeSpan.FromMinutes(1), all: false).OrderBy(e => e.Subject, StringComparer.Ordinal).ToList();

        Assert.Equal(["alert:poison:request-scan:System.TimeoutException", "alert:poison:sign-approved-artifact:System.IO.IOException"], due.Select(e => e.Subject));
        Assert.Equal("4000", due[0].Facts.Single(f => f.Label == "Count").Value);
        Assert.StartsWith("4000 alerts of one cause", due[0].Reason, StringComparison.Ordinal);
        Assert.Equal(5, due[0].Facts.Single(f => f.Label == "Examples").Value.Split('\n').Length);
        Assert.Equal("1", due[1].Facts.Single(f => f.Label == "Count").Value);
        Assert.Empty(aggregator.TakeDue(TimeSpan.Zero, all: true));
    }

    private static OperatorAlertRaised Alert(string key, string cause, DateTimeOffset at) =>
        new(key, "messaging", $"ArtifactPushed {key} failed all retries", "do this", null, at, cause);
}
