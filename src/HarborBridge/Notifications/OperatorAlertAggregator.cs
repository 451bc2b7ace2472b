using System.Collections.Concurrent;
using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Notifications;

/// <summary>Collects operator alerts that name a <see cref="OperatorAlertRaised.Cause"/> and hands each cause's batch
/// to the dispatcher once per <c>HarborBridge:Notifications:AlertWindow</c>, so 4,000 messages failing the same way
/// give one message per channel (and one PagerDuty incident, keyed by the cause) with the count, not 4,000. Batches
/// live in this process: each worker sends its own, and a batch still open when the process dies is lost (the
/// alerts themselves are logged at Error when raised).</summary>
internal sealed class OperatorAlertAggregator(TimeProvider time)
{
    private const int MaxExamples = 5;
    private readonly ConcurrentDictionary<string, Batch> _batches = new(StringComparer.Ordinal);

    public void Add(OperatorAlertRaised alert)
    {
        var now = time.GetUtcNow();
        var batch = _batches.GetOrAdd(alert.Cause!, _ => new Batch(alert, now));
        batch.Add(alert, now);
    }

    /// <summary>Batches whose window has ended (all of them when <paramref name="all"/>), removed from the collection.</summary>
    public List<NotificationEvent> TakeDue(TimeSpan window, bool all)
    {
        var now = time.GetUtcNow();
        var due = new List<NotificationEvent>();
        foreach (var (cause, batch) in _batches)
        {
            if ((all || now - batch.OpenedAt >= window) && _batches.TryRemove(new KeyValuePair<string, Batch>(cause, batch)))
            {
                due.Add(batch.ToEvent());
            }
        }

        return due;
    }

    private sealed class Batch(OperatorAlertRaised first, DateTimeOffset openedAt)
    {
        private readonly List<string> _examples = [];
        private int _count;
        private DateTimeOffset _last = openedAt;

        public DateTimeOffset OpenedAt { get; } = openedAt;

        public void Add(OperatorAlertRaised alert, DateTimeOffset now)
        {
            lock (_examples)
            {
                _count++;
                _last = now;
                if (_examples.Count < MaxExamples)
                {
                    _examples.Add(alert.Summary);
                }
            }
        }

        public NotificationEvent ToEvent()
        {
            lock (_examples)
            {
                return NotificationEvent.FromAlerts(first, _count, OpenedAt, _last, [.. _examples]);
            }
        }
    }
}

/// <summary>Sends the aggregated alerts when their window ends, and whatever is still collected at shutdown.</summary>
internal sealed class OperatorAlertFlusher(
    OperatorAlertAggregator aggregator,
    NotificationDispatcher dispatcher,
    IBus bus,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<OperatorAlertFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.AlertWindow;
        var tick = window < TimeSpan.FromSeconds(10) ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1);
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(aggregator.TakeDue(window, all: false), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: StopAsync sends what is left
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var left = aggregator.TakeDue(TimeSpan.Zero, all: true);
        try
        {
            await FlushAsync(left, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The stop timeout ran out (or the broker would not confirm in time): a stop must still finish. Say what was
            // not sent where operators still look, rather than failing the shutdown.
            logger.LogWarning("Stopping before {Count} aggregated operator alert(s) were sent: {Subjects}", left.Count,
                string.Join("; ", left.Select(e => e.Subject)));
        }
    }

    private async Task FlushAsync(List<NotificationEvent> due, CancellationToken cancellationToken)
    {
        foreach (var e in due)
        {
            try
            {
                await dispatcher.DispatchAsync(e, bus, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database or broker is down: the alert cannot be routed. Say it where operators still look.
                logger.LogError("Could not send the operator alert {Subject} ({Reason}): {Error}", e.Subject, e.Reason, ex.Message);
            }
        }
    }
}
