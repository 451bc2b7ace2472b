using System.Security.Cryptography;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>The verified image digest and the verification result of its <c>.sig</c> manifest.</summary>
public sealed record RegistryVerification(string ImageDigest, SignatureVerificationResult Result);

/// <summary>
/// Reads an image's legacy cosign signatures from the registry (tag <c>sha256-&lt;hex&gt;.sig</c>) and verifies them
/// with <see cref="SimpleSigningVerifier"/>. A tag is first resolved to its digest. Layer blobs that cannot be read
/// count as rejected layers, not as errors.
/// </summary>
public sealed class RegistrySignatureVerifier(IOciRegistryClient registry)
{
    /// <param name="reference">A tag or a digest.</param>
    /// <param name="expectedRepository">Repository the signatures must name (<c>host/name</c>, tag ignored); null skips the identity check.</param>
    /// <returns>Null when the image itself does not exist.</returns>
    public async Task<RegistryVerification?> VerifyAsync(
        OciRepository repository,
        string reference,
        string? expectedRepository,
        IReadOnlyList<ECDsa> trustedKeys,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var digest = reference;
        if (!ImageDigest.IsValid(reference))
        {
            var head = await registry.HeadManifestAsync(repository, reference, cancellationToken);
            if (head is null)
            {
                return null;
            }

            digest = head.Digest;
        }

        var manifest = await registry.GetManifestAsync(repository, ImageDigest.SignatureTag(digest), cancellationToken);
        if (manifest is null)
        {
            return new RegistryVerification(digest, SimpleSigningVerifier.Verify(digest, expectedRepository, trustedKeys, []));
        }

        var blobs = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var layer in SignatureManifests.ReadLayers(manifest.Content))
        {
            if (layer.MediaType == CosignMediaTypes.SimpleSigning && OciDigest.IsDigest(layer.Digest) && !blobs.ContainsKey(layer.Digest))
            {
                blobs[layer.Digest] = await ReadBlobAsync(repository, layer.Digest, cancellationToken);
            }
        }

        var layers = SignatureManifests.ToSignatureLayers(manifest.Content, d => blobs.GetValueOrDefault(d));
        return new RegistryVerification(digest, SimpleSigningVerifier.Verify(digest, expectedRepository, trustedKeys, layers));
    }

    private async Task<byte[]?> ReadBlobAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        try
        {
            return await registry.GetBlobAsync(repository, digest, cancellationToken);
        }
        catch (OciDigestMismatchException)
        {
            return null;
        }
        catch (OciRegistryException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }
}
