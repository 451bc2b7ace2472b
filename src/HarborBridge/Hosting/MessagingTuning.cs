using System.ComponentModel.DataAnnotations;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>How many messages each consumer endpoint works on at once (section <c>HarborBridge:Messaging</c>).
/// Prefetch (how many the broker hands over ahead) stays <c>HarborBridge:RabbitMq:PrefetchCount</c>; an endpoint's
/// prefetch is raised to its concurrency limit when that is higher, so the limit is never starved.</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "HarborBridge:Messaging";

    /// <summary>Messages consumed concurrently per endpoint (queue) in one process. Most work waits on Harbor, the
    /// registry or the database, so it is well above the core count; 16 by default.</summary>
    [Range(1, 1000)]
    public int ConcurrentMessageLimit { get; set; } = 16;

    /// <summary>Per-endpoint overrides by queue name, e.g. <c>"sign-approved-artifact": 8</c>.</summary>
    public Dictionary<string, int> Endpoints { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long the messages being handled when <c>serve</c> is told to stop (SIGTERM) may take to finish. Past
    /// it their work (retry delays, Harbor and registry calls) is cancelled and they go back to their queue
    /// unacknowledged, to be delivered again; the process then exits. 15 s by default, so that with the margins of
    /// docs/shutdown.md the process is gone within Kubernetes' default 30 s grace period.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Each <c>Endpoints</c> limit is between 1 and 1000; <c>StopTimeout</c> is above zero and at most 10 minutes.</summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    /// <summary>Longer than any orchestrator's grace period worth having; beyond it a typo (hours for seconds) is likelier.</summary>
    private static readonly TimeSpan MaxStopTimeout = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var bad = options.Endpoints.Where(e => string.IsNullOrWhiteSpace(e.Key) || e.Value is < 1 or > 1000)
            .Select(e => $"{MessagingOptions.SectionName}:Endpoints:{e.Key}: {e.Value} is not a concurrency limit between 1 and 1000")
            .ToList();
        if (options.StopTimeout <= TimeSpan.Zero || options.StopTimeout > MaxStopTimeout)
        {
            bad.Add($"{MessagingOptions.SectionName}:StopTimeout: {options.StopTimeout.ToString("c", CultureInfo.InvariantCulture)} is not a stop timeout " +
                $"above 00:00:00 and at most {MaxStopTimeout.ToString("c", CultureInfo.InvariantCulture)}");
        }

        return bad.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(bad);
    }
}

internal static class MessagingTuning
{
    public static IServiceCollection AddMessagingTuning(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();
        services.AddSection<MessagingOptions>(MessagingOptions.SectionName);
        return services;
    }

    /// <summary>The concurrency limit (and, on RabbitMQ, a prefetch at least as large) for one receive endpoint.</summary>
    public static void ApplyConcurrency(this IReceiveEndpointConfigurator endpoint, string endpointName, IRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var limit = options.Endpoints.TryGetValue(endpointName, out var own) ? own : options.ConcurrentMessageLimit;
        endpoint.ConcurrentMessageLimit = limit;
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            var prefetch = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value.PrefetchCount;
            rabbit.PrefetchCount = Math.Max(prefetch, limit);
        }
    }
}
