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
        var shared = SignatureManifests.IsEmptyConfig(config);
        var known = shared && EmptyConfigPresent.ContainsKey(repository.ToString());
        await UploadAsync(registry, repository, config, shared, known, cancellationToken);
        try
        {
            return await registry.PutManifestAsync(repository, tag, manifest, CosignMediaTypes.OciManifest, ifMatchDigest, cancellationToken);
        }
        catch (OciRegistryException e) when (known && e.Code is "MANIFEST_BLOB_UNKNOWN" or "BLOB_UNKNOWN")
        {
            EmptyConfigPresent.TryRemove(repository.ToString(), out _);
            await UploadAsync(registry, repository, config, shared, known: false, cancellationToken);
            return await registry.PutManifestAsync(repository, tag, manifest, CosignMediaTypes.OciManifest, ifMatchDigest, cancellationToken);
        }
    }

    private static async Task UploadAsync(
        IOciRegistryClient registry, OciRepository repository, byte[] config, bool shared, bool known, CancellationToken cancellationToken)
    {
        if (!shared)
        {
            await registry.UploadBlobAsync(repository, config, cancellationToken);
        }
        else if (!known)
        {
            await registry.PushBlobAsync(repository, config, mountFrom: null, cancellationToken);
            EmptyConfigPresent[repository.ToString()] = true;
        }
    }
}
