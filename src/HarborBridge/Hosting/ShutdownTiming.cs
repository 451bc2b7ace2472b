using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>
/// The time budget of a stop (SIGTERM, Ctrl+C), all derived from <c>HarborBridge:Messaging:StopTimeout</c> (docs/shutdown.md):
/// messages in hand get the stop timeout to finish, then MassTransit cancels their consume tokens, which ends retry
/// delays and our Harbor, registry and database calls; a cancelled message is neither acknowledged nor moved to its
/// error queue, and RabbitMQ delivers it again. The host then has <see cref="UnwindMargin"/> more for the cancelled work
/// to unwind and the channels to close. Quartz jobs are cancelled when the scheduler stops (SchedulingExtensions).
/// </summary>
internal static class ShutdownTiming
{
    /// <summary>After the consumers' stop timeout: for cancelled work to unwind and the broker channels to close.</summary>
    public static readonly TimeSpan UnwindMargin = TimeSpan.FromSeconds(5);

    /// <summary>After the stop timeout: the last-resort exit, for something that ignores cancellation.</summary>
    public static readonly TimeSpan ForcedExitMargin = TimeSpan.FromSeconds(10);

    /// <summary>The host's budget for stopping all its services (web server, Quartz, MassTransit).</summary>
    public static TimeSpan HostStopTimeout(MessagingOptions messaging) => messaging.StopTimeout + UnwindMargin;

    /// <summary>When the process exits even though the graceful stop has not finished.</summary>
    public static TimeSpan ForcedExitAfter(MessagingOptions messaging) => messaging.StopTimeout + ForcedExitMargin;

    public static IServiceCollection AddShutdownTiming(this IServiceCollection services)
    {
        services.AddOptions<HostOptions>().Configure<IOptions<MessagingOptions>>((host, messaging) =>
            host.ShutdownTimeout = HostStopTimeout(messaging.Value));
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<MessagingOptions>>((bus, messaging) =>
        {
            bus.ConsumerStopTimeout = messaging.Value.StopTimeout;
            bus.StopTimeout = HostStopTimeout(messaging.Value);
        });
        return services;
    }
}
