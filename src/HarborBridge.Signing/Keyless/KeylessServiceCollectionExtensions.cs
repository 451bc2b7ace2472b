using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HarborBridge.Signing.Keyless;

public static class KeylessServiceCollectionExtensions
{
    /// <summary>Registers <see cref="FulcioClient"/>, <see cref="RekorClient"/> and <see cref="KeylessSigner"/> with
    /// factory-managed HTTP clients (30 s per request; no automatic retry: a Rekor POST is not idempotent).</summary>
    public static IServiceCollection AddKeylessSigning(this IServiceCollection services)
    {
        services.AddLogging();
        services.AddHttpClient(FulcioClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHttpClient(RekorClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton<FulcioClient>();
        services.TryAddSingleton<RekorClient>();
        services.TryAddSingleton<KeylessSigner>();
        return services;
    }

    /// <summary>Registers <see cref="Core.Signing.IArtifactSigner"/> by <c>HarborBridge:Signing:Mode</c>: the key-file signer
    /// (<see cref="Registry.RegistryArtifactSigner"/>) or the keyless one (<see cref="Registry.KeylessArtifactSigner"/>).</summary>
    public static IServiceCollection AddArtifactSignerByMode(this IServiceCollection services)
    {
        services.AddKeylessSigning();
        services.AddScoped<Core.Signing.IArtifactSigner>(Registry.KeylessArtifactSigner.ForMode);
        return services;
    }
}
