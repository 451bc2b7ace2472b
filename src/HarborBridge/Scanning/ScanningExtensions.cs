using HarborBridge.Decisions;
using HarborBridge.Hosting;

namespace HarborBridge.Scanning;

internal static class ScanningExtensions
{
    /// <summary>Scanning and deciding: the scan orchestrator and failure handler, the auto-scan cache, direct Trivy mode,
    /// and the decision path (<see cref="DecisionExtensions.AddDecisions"/>). The consumers are registered by the worker
    /// role only where Harbor is configured (<see cref="HarborMode"/>).</summary>
    public static IServiceCollection AddScanning(this IServiceCollection services)
    {
        services.AddSingleton<ScanOrchestrator>();
        services.AddSingleton<ProjectAutoScanCache>();
        services.AddSection<TrivyOptions>(TrivyOptions.SectionName);
        services.AddSingleton<TrivyRunner>();
        services.AddDecisions();
        return services;
    }
}
