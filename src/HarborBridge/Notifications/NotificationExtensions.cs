using HarborBridge.Hosting;
using MassTransit;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Quartz;

namespace HarborBridge.Notifications;

internal static class NotificationExtensions
{
    /// <summary>Options, routing, the deduplication log, the dispatcher and the channel senders.</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<NotificationOptions>(NotificationOptions.SectionName);
        services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();
        services.AddSingleton<RoutingProvider>();
        services.AddHostedService<RoutingValidationHostedService>();
        services.AddSingleton<NotificationLog>();
        services.AddSingleton<NotificationDeliveryLog>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<OperatorAlertAggregator>();
        services.AddSingleton<IChannelSender, SlackSender>();
        services.AddSingleton<IChannelSender, TeamsSender>();
        services.AddSingleton<IChannelSender, WebhookSender>();
        services.AddSingleton<IChannelSender, PagerDutySender>();
        services.AddSingleton<IChannelSender, EmailSender>();

        var settings = configuration.GetSection(NotificationOptions.SectionName).Get<NotificationOptions>() ?? new NotificationOptions();
        services.AddHttpClient(HttpChannelSender.ClientName)
            .RemoveAllLoggers() // the default HttpClient logs would write channel URLs, which carry secrets (Slack, Teams)
            .AddStandardResilienceHandler(r =>
            {
                r.AttemptTimeout.Timeout = settings.HttpAttemptTimeout;
                r.Retry.MaxRetryAttempts = 3;
                r.Retry.BackoffType = DelayBackoffType.Exponential;
                r.Retry.UseJitter = true;
                r.Retry.Delay = settings.HttpRetryBaseDelay;
                r.TotalRequestTimeout.Timeout = settings.HttpAttemptTimeout * 4 + TimeSpan.FromSeconds(30);
                r.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, settings.HttpAttemptTimeout.Ticks * 2));
            })
            .SelectPipelineByAuthority(); // one circuit per receiving host: a dead Slack does not trip the Teams circuit
        return services;
    }

    /// <summary>The notification consumers: one per input event, the per-channel delivery, and the digest.</summary>
    public static void AddNotificationConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<NotifyWarnedConsumer>();
        x.AddConsumer<NotifyBlockedConsumer>();
        x.AddConsumer<NotifyQuarantinedConsumer>();
        x.AddConsumer<NotifyReleasedConsumer>();
        x.AddConsumer<NotifyAtRiskConsumer>();
        x.AddConsumer<NotifyExceptionExpiringConsumer>();
        x.AddConsumer<NotifyExceptionRequestConsumer>();
        x.AddConsumer<NotifyOperatorAlertConsumer>();
        x.AddConsumer<DeliverNotificationConsumer>();
        x.AddConsumer<NotificationDigestConsumer>();
    }

    /// <summary>The daily digest trigger (cron from <c>HarborBridge:Notifications:DigestCron</c>; empty disables it).</summary>
    public static void AddNotificationDigest(this IQuartzBuilder q, IConfiguration configuration)
    {
        var cron = configuration.GetSection(NotificationOptions.SectionName).Get<NotificationOptions>()?.DigestCron ?? new NotificationOptions().DigestCron;
        if (string.IsNullOrWhiteSpace(cron))
        {
            return;
        }

        if (!CronExpression.TryParse(cron, out _))
        {
            throw new OptionsValidationException(NotificationOptions.SectionName, typeof(NotificationOptions),
                [$"{NotificationOptions.SectionName}:DigestCron: '{cron}' is not a Quartz cron expression (e.g. \"0 0 8 * * ?\" for 08:00 daily)"]);
        }

        var key = new JobKey("notification-digest");
        q.AddJob<NotificationDigestJob>(j => j.WithIdentity(key));
        q.AddTrigger(t => t.ForJob(key).WithIdentity("notification-digest").WithCronSchedule(cron));
    }
}
