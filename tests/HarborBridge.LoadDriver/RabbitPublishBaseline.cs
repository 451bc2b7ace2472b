using System.Diagnostics;
using System.Text;
using RabbitMQ.Client;

namespace HarborBridge.LoadDriver;

/// <summary>The broker's own floor: RabbitMQ.Client publishing a fixed persistent message with publisher confirms,
/// <c>concurrency</c> loops (one channel each, one connection) for a fixed time, each publish awaited until confirmed.</summary>
public static class RabbitPublishBaseline
{
    public static async Task<Throughput> RunAsync(string host, int port, string virtualHost, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { HostName = host, Port = port, VirtualHost = virtualHost, ClientProvidedName = "hb-loaddriver-baseline" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        const string exchange = "hb-loaddriver-baseline";
        await using (var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await setup.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        }

        var body = Encoding.UTF8.GetBytes("""{"message":{"project":"load","repository":"app","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}""");
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };
        var latencies = new List<double>[concurrency];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var own = latencies[worker] = [];
            var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
            await using var channel = await connection.CreateChannelAsync(options, cancellationToken);
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body, cancellationToken);
                own.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).ToList();
        return Throughput.From(all, elapsed);
    }
}

/// <summary>Operations per second and latency percentiles (milliseconds).</summary>
public sealed record Throughput(long Count, double Seconds, double PerSecond, double P50Ms, double P90Ms, double P99Ms, double MaxMs)
{
    public static Throughput From(IReadOnlyCollection<double> latenciesMs, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(latenciesMs);
        return new Throughput(latenciesMs.Count, elapsed.TotalSeconds, latenciesMs.Count / elapsed.TotalSeconds,
            Percentiles.Of(latenciesMs, 50), Percentiles.Of(latenciesMs, 90), Percentiles.Of(latenciesMs, 99), latenciesMs.Count == 0 ? 0 : latenciesMs.Max());
    }
}

public static class Percentiles
{
    /// <summary>Nearest-rank percentile; 0 for no values.</summary>
    public static double Of(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
