using System.Collections.Concurrent;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace HarborBridge.LoadDriver;

/// <summary>What the pipeline announced for one artifact digest: first time and count of each event.</summary>
public sealed class ArtifactEvents
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset First, int Count)> _events = new(StringComparer.Ordinal);

    public void Record(string type, DateTimeOffset sentAt) =>
        _events.AddOrUpdate(type, (sentAt, 1), (_, seen) => (seen.First < sentAt ? seen.First : sentAt, seen.Count + 1));

    public DateTimeOffset? First(params string[] types) =>
        types.Select(t => _events.TryGetValue(t, out var seen) ? seen.First : (DateTimeOffset?)null).Where(t => t is not null).Min();

    public int Count(string type) => _events.TryGetValue(type, out var seen) ? seen.Count : 0;
}

/// <summary>
/// Listens on RabbitMQ to the events HarborBridge publishes (decisions, signatures, quarantines) through its own
/// exclusive queue bound to MassTransit's message-type exchanges, and keeps per digest when each was first sent
/// (the envelope's <c>sentTime</c>, stamped by serve). Timing only: correctness is checked against the registry and
/// the database by <see cref="PipelineAudit"/>, because events sent while this listener reconnects are not seen.
/// </summary>
public sealed class PipelineWatcher : IAsyncDisposable
{
    public const string Approved = "ArtifactApproved";
    public const string Warned = "ArtifactWarned";
    public const string Blocked = "ArtifactBlocked";
    public const string Signed = "ArtifactSigned";

    /// <summary>Published by quarantine (issue 6) once it exists; when seen it marks a blocked artifact as acted on.</summary>
    public const string Quarantined = "ArtifactQuarantined";

    /// <summary>Operator alerts that name an artifact (e.g. a poison message).</summary>
    public const string Alert = "OperatorAlertRaised";

    private static readonly string[] Types = [Approved, Warned, Blocked, Signed, Quarantined, Alert];
    private readonly ConcurrentDictionary<string, ArtifactEvents> _byDigest = new(StringComparer.Ordinal);
    private IConnection? _connection;
    private IChannel? _channel;

    public ArtifactEvents For(string digest) => _byDigest.GetOrAdd(digest, _ => new ArtifactEvents());

    public async Task StartAsync(string host, int port, string virtualHost, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = host,
            Port = port,
            VirtualHost = virtualHost,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
            ClientProvidedName = "hb-loaddriver-watcher",
        };
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var queue = await _channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        foreach (var type in Types)
        {
            // Same declaration as MassTransit's (durable fanout), so whoever comes first creates it.
            var exchange = "HarborBridge.Contracts:" + type;
            await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await _channel.QueueBindAsync(queue.QueueName, exchange, "", cancellationToken: cancellationToken);
        }

        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            Record(delivery.Exchange, delivery.Body.Span);
            return Task.CompletedTask;
        };
        await _channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
    }

    private void Record(string exchange, ReadOnlySpan<byte> body)
    {
        var type = exchange[(exchange.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var reader = new Utf8JsonReader(body);
        using var envelope = JsonDocument.ParseValue(ref reader);
        var root = envelope.RootElement;
        if (!root.TryGetProperty("message", out var message) || !message.TryGetProperty("artifact", out var artifact)
            || !artifact.TryGetProperty("digest", out var digest) || digest.GetString() is not { } value)
        {
            return;
        }

        var sent = root.TryGetProperty("sentTime", out var time) && time.TryGetDateTimeOffset(out var at) ? at : TimeProvider.System.GetUtcNow();
        For(value).Record(type, sent);
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
