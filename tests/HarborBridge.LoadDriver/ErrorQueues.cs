using System.Text.Json;
using RabbitMQ.Client;

namespace HarborBridge.LoadDriver;

/// <summary>
/// Error queues on RabbitMQ: how many messages wait in <c>&lt;queue&gt;_error</c>, and the replay that moves them back to
/// <c>&lt;queue&gt;</c> with their headers (minus MassTransit's fault headers) once the cause is fixed. Also
/// <c>HarborBridge.LoadDriver replay-errors HOST:PORT VHOST QUEUE</c>.
/// </summary>
public sealed class ErrorQueues(string host, int port, string virtualHost)
{
    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        new ConnectionFactory { HostName = host, Port = port, VirtualHost = virtualHost, ClientProvidedName = "hb-loaddriver-errors" }.CreateConnectionAsync(cancellationToken);

    /// <summary>Messages ready in <paramref name="queue"/>; 0 when it does not exist.</summary>
    public async Task<uint> CountAsync(string queue, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>Moves every message of <c>queue_error</c> back to <c>queue</c>; returns how many.</summary>
    public async Task<int> ReplayAsync(string queue, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var channel = await connection.CreateChannelAsync(options, cancellationToken);
        var moved = 0;
        while (await channel.BasicGetAsync(queue + "_error", autoAck: false, cancellationToken) is { } message)
        {
            var properties = new BasicProperties(message.BasicProperties)
            {
                Headers = message.BasicProperties.Headers?
                    .Where(h => !h.Key.StartsWith("MT-Fault-", StringComparison.Ordinal) && !h.Key.StartsWith("MT-Reason", StringComparison.Ordinal))
                    .ToDictionary(h => h.Key, h => h.Value),
            };
            // Published (and confirmed) to the input queue before the error copy is removed: a crash in between
            // duplicates the message, which idempotent consumers absorb, rather than losing it.
            await channel.BasicPublishAsync("", queue, mandatory: true, properties, message.Body, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            moved++;
        }

        return moved;
    }

    /// <summary>Publishes <paramref name="message"/> as MassTransit does (JSON envelope on the message type's exchange),
    /// e.g. to inject a message in a test.</summary>
    public async Task PublishAsync(string contractName, object message, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var channel = await connection.CreateChannelAsync(options, cancellationToken);
        var exchange = "HarborBridge.Contracts:" + contractName;
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        var envelope = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:" + exchange },
            message,
            sentTime = TimeProvider.System.GetUtcNow(),
        }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        var properties = new BasicProperties { Persistent = true, ContentType = "application/vnd.masstransit+json" };
        await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, envelope, cancellationToken);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var colon = args.Length == 3 ? args[0].LastIndexOf(':') : -1;
        if (colon <= 0 || !int.TryParse(args[0][(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            await Console.Error.WriteLineAsync("usage: HarborBridge.LoadDriver replay-errors HOST:PORT VHOST QUEUE   (moves QUEUE_error back to QUEUE)");
            return 2;
        }

        var moved = await new ErrorQueues(args[0][..colon], port, args[1]).ReplayAsync(args[2], CancellationToken.None);
        Console.WriteLine($"moved {moved} message(s) from {args[2]}_error to {args[2]}");
        return 0;
    }
}
