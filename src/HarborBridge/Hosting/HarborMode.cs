using HarborBridge.Harbor;

namespace HarborBridge.Hosting;

/// <summary>
/// Whether this process works with a Harbor, decided once at start from <c>HarborBridge:Harbor:Url</c>. Without one
/// (the embedded default) it runs record-only: webhooks are accepted and recorded, and the consumers and hosted services
/// that need Harbor (scanning, signing, quarantine, rescans, reconciliation) are not registered at all.
/// </summary>
internal static class HarborMode
{
    public static bool IsConfigured(IConfiguration configuration) =>
        configuration.GetSection(HarborOptions.SectionName).Get<HarborOptions>()?.IsConfigured == true;

    /// <summary>Says once at start that the process is record-only, and why.</summary>
    public static void LogAtStart(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        if (!IsConfigured(configuration))
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger("HarborBridge.Harbor").LogWarning(
                "Harbor is not configured (HarborBridge:Harbor:Url): record-only mode, webhooks are recorded but nothing is scanned, signed or quarantined");
        }
    }
}
