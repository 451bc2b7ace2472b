using HarborBridge.Scanning;
using Microsoft.Extensions.Options;

namespace HarborBridge.Decisions;

internal static class DecisionExtensions
{
    /// <summary>The decision path and its evidence source, chosen once at start from <c>HarborBridge:Trivy:Enabled</c>.</summary>
    public static IServiceCollection AddDecisions(this IServiceCollection services)
    {
        services.AddSingleton<HarborScanEvidence>();
        services.AddSingleton<TrivyScanEvidence>();
        services.AddSingleton<IScanEvidence>(sp => sp.GetRequiredService<IOptions<TrivyOptions>>().Value.Enabled
            ? sp.GetRequiredService<TrivyScanEvidence>()
            : sp.GetRequiredService<HarborScanEvidence>());
        services.AddSingleton<Core.Policy.IUpstreamEvidence, RegistryUpstreamEvidence>();
        services.AddSingleton<DecisionService>();
        services.AddSingleton<VerdictPublisher>();
        services.AddSingleton<ScanFailureHandler>();
        return services;
    }
}
