using System.Collections.Concurrent;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// Writes a <c>.sig</c>/<c>.att</c> manifest together with its config blob. The OCI empty config that every manifest we
/// create shares is uploaded once per repository and process (HEAD, then POST+PUT only when missing) and costs no request
/// after that; any other config (another tool's image config, rebuilt for the new layers) is uploaded every time. Should
/// the registry have lost the shared config since (garbage collection after every manifest using it was deleted), it
/// refuses the manifest with <c>MANIFEST_BLOB_UNKNOWN</c>: the config is uploaded again and the PUT repeated once.
/// </summary>
internal static class ManifestConfigs
{
    private static readonly ConcurrentDictionary<string, bool> EmptyConfigPresent = new(StringComparer.Ordinal);

    public static async Task<OciPushResult> PutManifestAsync(
        IOciRegistryClient registry,
        OciRepository repository,
        string tag,
        byte[] manifest,
        byte[] config,
        string? ifMatchDigest,
        CancellationToken cancellationToken)
    {
        if (!SignatureManifests.IsEmptyConfig(config))
        {
            await registry.UploadBlobAsync(repository, config, cancellationToken);
            return await PutAsync();
        }

        var known = EmptyConfigPresent.ContainsKey(repository.ToString());
        if (!known)
        {
            await EnsureEmptyConfigAsync(registry, repository, config, cancellationToken);
        }

        try
        {
            return await PutAsync();
        }
        catch (OciRegistryException e) when (known && e.Code is "MANIFEST_BLOB_UNKNOWN" or "BLOB_UNKNOWN")
        {
            await EnsureEmptyConfigAsync(registry, repository, config, cancellationToken);
            return await PutAsync();
        }

        Task<OciPushResult> PutAsync() =>
            registry.PutManifestAsync(repository, tag, manifest, CosignMediaTypes.OciManifest, ifMatchDigest, cancellationToken);
    }

    // HEAD, and POST+PUT when the registry does not have it.
    private static async Task EnsureEmptyConfigAsync(IOciRegistryClient registry, OciRepository repository, byte[] config, CancellationToken cancellationToken)
    {
        await registry.PushBlobAsync(repository, config, mountFrom: null, cancellationToken);
        EmptyConfigPresent[repository.ToString()] = true;
    }
}
