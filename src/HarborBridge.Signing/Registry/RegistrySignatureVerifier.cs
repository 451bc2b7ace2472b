using System.Security.Cryptography;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>The verified image digest and the verification result of its <c>.sig</c> manifest.</summary>
public sealed record RegistryVerification(string ImageDigest, SignatureVerificationResult Result);

/// <summary>One bundle referrer of the image and what its verification found.</summary>
public sealed record ReferrerBundleResult(string ManifestDigest, KeylessBundleResult Result);

/// <summary>Keyless verification of an image: its <c>.sig</c> layers and its bundle referrers. Verified when at least one of either verified.</summary>
public sealed record KeylessRegistryVerification(string ImageDigest, SignatureVerificationResult Signatures, IReadOnlyList<ReferrerBundleResult> Bundles)
{
    public bool IsVerified => Signatures.IsVerified || Bundles.Any(b => b.Result.IsVerified);

    /// <summary>Why nothing verified: each rejected layer and bundle, or that there were no signatures at all.</summary>
    public string Explain() => Signatures.Verified.Count + Signatures.Rejected.Count + Bundles.Count == 0
        ? "no signatures found"
        : string.Join("; ", Signatures.Rejected.Select(r => $"layer {r.LayerIndex}: {r.Message}")
            .Concat(Bundles.Where(b => !b.Result.IsVerified).Select(b => $"bundle {b.ManifestDigest}: {b.Result.FailureReason}")));
}

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
        var read = await ReadAsync(repository, reference, cancellationToken);
        return read is null
            ? null
            : new RegistryVerification(read.Value.Digest, SimpleSigningVerifier.Verify(read.Value.Digest, expectedRepository, trustedKeys, read.Value.Layers));
    }

    /// <summary>
    /// Verifies keyless signatures: the <c>.sig</c> layers with certificate annotations (<see cref="KeylessSignatureVerifier"/>)
    /// and the Sigstore bundles stored as OCI 1.1 referrers (referrers API or fallback tag; DSSE bundles, as cosign v3
    /// writes them, checked by <see cref="KeylessBundleVerifier"/>).
    /// </summary>
    /// <returns>Null when the image itself does not exist.</returns>
    public async Task<KeylessRegistryVerification?> VerifyKeylessAsync(
        OciRepository repository,
        string reference,
        string? expectedRepository,
        KeylessPolicy policy,
        CancellationToken cancellationToken)
    {
        var read = await ReadAsync(repository, reference, cancellationToken);
        if (read is null)
        {
            return null;
        }

        var digest = read.Value.Digest;
        var signatures = KeylessSignatureVerifier.Verify(digest, expectedRepository, policy, read.Value.Layers);
        var bundles = new List<ReferrerBundleResult>();
        var referrers = await registry.ListReferrersAsync(repository, digest, CosignMediaTypes.SigstoreBundleV03, cancellationToken);
        foreach (var referrer in referrers.Manifests)
        {
            var manifest = await registry.GetManifestAsync(repository, referrer.Digest, cancellationToken);
            var layer = manifest is null ? null : BundleReferrerSigner.BundleLayer(manifest.Content);
            var blob = layer is null ? null : await ReadBlobAsync(repository, layer, cancellationToken);
            bundles.Add(new ReferrerBundleResult(referrer.Digest, blob is null
                ? KeylessBundleResult.Fail("the referrer has no readable bundle layer")
                : KeylessBundleVerifier.Verify(blob, null, digest, policy)));
        }

        return new KeylessRegistryVerification(digest, signatures, bundles);
    }

    // Resolves a tag, then reads the .sig manifest and its simple-signing blobs (none when the tag does not exist).
    private async Task<(string Digest, IReadOnlyList<SignatureLayer> Layers)?> ReadAsync(
        OciRepository repository, string reference, CancellationToken cancellationToken)
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
            return (digest, []);
        }

        var blobs = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var layer in SignatureManifests.ReadLayers(manifest.Content))
        {
            if (layer.MediaType == CosignMediaTypes.SimpleSigning && OciDigest.IsDigest(layer.Digest) && !blobs.ContainsKey(layer.Digest))
            {
                blobs[layer.Digest] = await ReadBlobAsync(repository, layer.Digest, cancellationToken);
            }
        }

        return (digest, SignatureManifests.ToSignatureLayers(manifest.Content, d => blobs.GetValueOrDefault(d)));
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
