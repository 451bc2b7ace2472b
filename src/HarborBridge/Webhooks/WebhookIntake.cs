using HarborBridge.Core.Webhooks;
using HarborBridge.Hosting;
using MassTransit;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace HarborBridge.Webhooks;

internal abstract record IntakeOutcome
{
    public sealed record Invalid(string Reason) : IntakeOutcome;
    public sealed record Ignored(string EventId, string Reason) : IntakeOutcome;
    public sealed record Queued(string EventId, bool Duplicate) : IntakeOutcome;
    public sealed record Unavailable : IntakeOutcome;
    public sealed record Unauthorized : IntakeOutcome;
}

/// <summary>The ids of recently accepted webhooks, in a cache of its own with a size limit
/// (<c>HarborBridge:Webhook:DuplicateCacheEntries</c>), so a flood of distinct events cannot grow memory without bound.</summary>
internal sealed class RecentWebhooks(IOptions<WebhookOptions> options) : IDisposable
{
    public MemoryCache Cache { get; } = new(new MemoryCacheOptions { SizeLimit = options.Value.DuplicateCacheEntries });

    public void Dispose() => Cache.Dispose();
}

/// <summary>Parses, filters and publishes one webhook. Publishing uses the broker's publisher confirms;
/// the webhook counts as accepted only when every message it produced was confirmed.</summary>
internal sealed class WebhookIntake(
    IPublishEndpoint publisher,
    WebhookLoopFilter filter,
    RecentWebhooks recentlyAccepted,
    IOptions<WebhookOptions> options,
    WebhookAuthenticator authenticator,
    PipelineMetrics metrics,
    ILogger<WebhookIntake> logger)
{
    private static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(15);

    public async Task<IntakeOutcome> AcceptAsync(byte[] body, WebhookPayloadFormat format, string authorization, CancellationToken cancellationToken)
    {
        HarborWebhookEvent webhook;
        try
        {
            webhook = HarborWebhookParser.Parse(body, format, options.Value.MaxResources);
        }
        catch (WebhookParseException e)
        {
            logger.LogWarning("Rejected a malformed {Format} webhook: {Reason}", format, e.Message);
            metrics.Webhook("rejected", "malformed");
            return new IntakeOutcome.Invalid(e.Message);
        }

        if (!authenticator.IsAuthorizedFor(authorization, webhook.Repository?.Project))
        {
            logger.LogWarning("Refused a {EventType} webhook for project {Project}: its Authorization header is not that project's",
                webhook.RawType, webhook.Repository?.Project);
            return new IntakeOutcome.Unauthorized();
        }

        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["EventId"] = webhook.EventId });
        if (filter.IgnoreReason(webhook) is { } reason)
        {
            logger.LogInformation("Ignored {EventType} webhook for {Project}/{Repository}: {Reason}",
                webhook.RawType, webhook.Repository?.Project, webhook.Repository?.Name, reason);
            metrics.Webhook("ignored", webhook.Type == HarborEventType.Unknown ? "unknown_type" : "loop");
            return new IntakeOutcome.Ignored(webhook.EventId, reason);
        }

        // Harbor retries resend the same body; within the window a retry is answered without re-publishing.
        // Consumers deduplicate by event id as well, so this cache is an optimisation, not the guarantee.
        if (recentlyAccepted.Cache.TryGetValue(webhook.EventId, out _))
        {
            logger.LogInformation("Webhook {EventType} {EventId} was already queued; retry acknowledged", webhook.RawType, webhook.EventId);
            metrics.Webhook("duplicate", "");
            return new IntakeOutcome.Queued(webhook.EventId, Duplicate: true);
        }

        var messages = WebhookMessages.From(webhook);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        using var publishTimer = metrics.WebhookPublishTimer();
        try
        {
            foreach (var message in messages)
            {
                await publisher.Publish(message, message.GetType(), timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException || IsBrokerFailure(e))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            logger.LogWarning("Could not enqueue {EventType} webhook {EventId}: {Error}", webhook.RawType, webhook.EventId, e.GetType().Name);
            metrics.Webhook("unavailable", "broker");
            return new IntakeOutcome.Unavailable();
        }

        recentlyAccepted.Cache.Set(webhook.EventId, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = DuplicateWindow });
        metrics.WebhookQueued(webhook.Type);
        logger.LogInformation("Queued {EventType} webhook for {Project}/{Repository} as {MessageCount} message(s)",
            webhook.RawType, webhook.Repository?.Project, webhook.Repository?.Name, messages.Count);
        return new IntakeOutcome.Queued(webhook.EventId, Duplicate: false);
    }

    private static bool IsBrokerFailure(Exception e) =>
        e is MassTransitException or RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.AlreadyClosedException
            or System.IO.IOException or System.Net.Sockets.SocketException;
}
