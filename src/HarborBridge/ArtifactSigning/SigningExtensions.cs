using HarborBridge.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using HarborBridge.Core.Signing;
using HarborBridge.Signing.Keyless;
using HarborBridge.Signing.Registry;
using MassTransit;
using Microsoft.Extensions.Options;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;

namespace HarborBridge.ArtifactSigning;

internal static class SigningExtensions
{
    /// <summary>The signer and unsigner ports, registered once for every role: the sign consumers (worker) and the release
    /// API (webhook role) sign with the same signer, the one <c>HarborBridge:Signing:Mode</c> names (key or keyless).
    /// Options are validated at start when a key file or keyless mode is set.</summary>
    public static IServiceCollection AddSigning(this IServiceCollection services)
    {
        services.AddOptions<SigningOptions>().BindConfiguration(SigningOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SigningOptions>, SigningOptionsValidator>();
        services.AddSingleton<SigningKeyProvider>();
        services.TryAddSingleton<PipelineMetrics>();
        services.AddArtifactSignerByMode();
        services.AddScoped<IArtifactUnsigner, RegistryArtifactUnsigner>();
        return services;
    }

    /// <summary>Signing in a worker: the two sign consumers (<c>ArtifactApproved</c>, <c>ArtifactWarned</c>) and the alert
    /// raised when signing fails after all retries. The signer itself comes from <see cref="AddSigning"/>.</summary>
    public static void AddArtifactSigning(this IBusRegistrationConfigurator x)
    {
        x.AddScoped<ScanEvidenceSource>();
        x.AddScoped<SignArtifactService>();
        x.AddConsumer<SignApprovedArtifactConsumer>();
        x.AddConsumer<SignWarnedArtifactConsumer>();
        x.AddConsumer<SigningFailedApprovedAlertConsumer>();
        x.AddConsumer<SigningFailedWarnedAlertConsumer>();
    }
}
