using HarborBridge.Consumers;
using HarborBridge.Core.Signing;
using HarborBridge.Signing.Keyless;
using HarborBridge.Signing.Registry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

internal static class SigningExtensions
{
    /// <summary>Signing in a worker: options (validated at start when a key file is set), the signer port and the two
    /// sign consumers (<c>ArtifactApproved</c>, <c>ArtifactWarned</c>) and the alert raised when signing fails after all retries.</summary>
    public static void AddArtifactSigning(this IBusRegistrationConfigurator x)
    {
        x.AddOptions<SigningOptions>().BindConfiguration(SigningOptions.SectionName).ValidateOnStart();
        x.AddSingleton<IValidateOptions<SigningOptions>, SigningOptionsValidator>();
        x.AddSingleton<SigningKeyProvider>();
        x.AddArtifactSignerByMode();
        x.AddScoped<ScanEvidenceSource>();
        x.AddScoped<SignArtifactService>();
        x.AddConsumer<SignApprovedArtifactConsumer>();
        x.AddConsumer<SignWarnedArtifactConsumer>();
        x.AddConsumer<SigningFailedApprovedAlertConsumer>();
        x.AddConsumer<SigningFailedWarnedAlertConsumer>();
    }
}
