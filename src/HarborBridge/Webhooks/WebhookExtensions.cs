using HarborBridge.Core.Webhooks;
using HarborBridge.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HarborBridge.Webhooks;

internal static class WebhookExtensions
{
    /// <summary>The webhook intake: settings (validated at start), authentication (shared header or per project), the loop
    /// filter, the recent-event de-duplication and the intake that turns a Harbor event into a message.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddSection<WebhookOptions>(WebhookOptions.SectionName);
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var webhook = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
            return new WebhookLoopFilter(webhook.IgnoredOperators, webhook.ScannerRobotPattern);
        });
        services.AddScoped<WebhookIntake>();
        services.AddSingleton<RecentWebhooks>();
        services.AddSingleton<WebhookAuthenticator>();
        services.TryAddSingleton<PipelineMetrics>();
        return services;
    }
}
