using System.Security.Cryptography;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// Key verification of an image: its <c>.sig</c> manifest (<see cref="Result"/>) and its key-based bundle referrers
/// (<see cref="Bundles"/>). Verified when at least one <c>.sig</c> layer or signature bundle verified, as <c>cosign verify</c> v3.
/// </summary>
public sealed record RegistryVerification(string ImageDigest, SignatureVerificationResult Result, IReadOnlyList<KeyBundleResult> Bundles)
{
    public bool IsVerified => Result.IsVerified || Bundles.Any(b => b.Result.IsVerified);

    /// <summary>Why nothing verified: each rejected layer and bundle, or that there were no signatures at all.</summary>
    public string Explain() => RegistrySignatureVerifier.Explain(Result, Bundles.Select(b => (b.ManifestDigest, b.Result.FailureReason)));
}

/// <summary>What is attached to an image digest, unverified: <c>.sig</c> layers, <c>.att</c> layers, bundle referrers.</summary>
public sealed record AttachedSignatures(
    IReadOnlyList<SignatureLayer> Signatures, IReadOnlyList<SignatureLayer> Attestations, IReadOnlyList<(string ManifestDigest, byte[]? Bundle)> Bundles);

/// <summary>One bundle referrer of the image checked with a public key.</summary>
public sealed record KeyBundleResult(string ManifestDigest, BundleVerificationResult Result);

/// <summary>One bundle referrer of the image and what its verification found.</summary>
public sealed record ReferrerBundleResult(string ManifestDigest, KeylessBundleResult Result);

/// <summary>Keyless verification of an image: its <c>.sig</c> layers and its bundle referrers. Verified when at least one of either verified.</summary>
public sealed record KeylessRegistryVerification(string ImageDigest, SignatureVerificationResult Signatures, IReadOnlyList<ReferrerBundleResult> Bundles)
{
    public bool IsVerified => Signatures.IsVerified || Bundles.Any(b => b.Result.IsVerified);

    /// <summary>Why nothing verified: each rejected layer and bundle, or that there were no signatures at all.</summary>
    public string Explain() => RegistrySignatureVerifier.Explain(Signatures, Bundles.Select(b => (b.ManifestDigest, b.Result.FailureReason)));
}

/// <summary>
/// Reads an image's cosign signatures from the registry and verifies them: the legacy <c>.sig</c> tag
/// (<c>sha256-&lt;hex&gt;.sig</c>, <see cref="SimpleSigningVerifier"/>) and the Sigstore bundle referrers cosign v3 writes
/// (referrers API, else the fallback tag <c>sha256-&lt;hex&gt;</c>). A tag is first resolved to its digest. Blobs that
/// cannot be read count as rejected layers or bundles, not as errors.
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
        if (read is null)
        {
            return null;
        }

        var digest = read.Value.Digest;
        var bundles = new List<KeyBundleResult>();
        foreach (var (manifestDigest, blob) in await ReadBundlesAsync(repository, digest, cancellationToken))
        {
            var result = blob is null ? BundleVerificationResult.Fail("the referrer has no readable bundle layer") : SigstoreBundle.Verify(blob, digest, trustedKeys);
            // cosign verify counts signatures only; attestations (cosign attest) are for verify-attestation.
            bundles.Add(new KeyBundleResult(manifestDigest, result.IsVerified && result.PredicateType != Predicates.CosignSignV1
                ? BundleVerificationResult.Fail($"an attestation ({result.PredicateType}), not a signature")
                : result));
        }

        return new RegistryVerification(digest, SimpleSigningVerifier.Verify(digest, expectedRepository, trustedKeys, read.Value.Layers), bundles);
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
        var bundles = (await ReadBundlesAsync(repository, digest, cancellationToken))
            .Select(b => new ReferrerBundleResult(b.ManifestDigest, b.Bundle is null
                ? KeylessBundleResult.Fail("the referrer has no readable bundle layer")
                : KeylessBundleVerifier.Verify(b.Bundle, null, digest, policy)))
            .ToList();
        return new KeylessRegistryVerification(digest, signatures, bundles);
    }

    /// <summary>Each rejected layer and bundle (a bundle without failure reason verified), or "no signatures found".</summary>
    internal static string Explain(SignatureVerificationResult layers, IEnumerable<(string ManifestDigest, string? FailureReason)> bundles)
    {
        var list = bundles.ToList();
        return layers.Verified.Count + layers.Rejected.Count + list.Count == 0
            ? "no signatures found"
            : string.Join("; ", layers.Rejected.Select(r => $"layer {r.LayerIndex}: {r.Message}")
                .Concat(list.Where(b => b.FailureReason is not null).Select(b => $"bundle {b.ManifestDigest}: {b.FailureReason}")));
    }

    // The Sigstore bundle referrers of the image (referrers API, else the fallback tag) with their bundle blobs (null when unreadable).
    private async Task<List<(string ManifestDigest, byte[]? Bundle)>> ReadBundlesAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        var bundles = new List<(string, byte[]?)>();
        var referrers = await registry.ListReferrersAsync(repository, digest, CosignMediaTypes.SigstoreBundleV03, cancellationToken);
        foreach (var referrer in referrers.Manifests)
        {
            bundles.Add((referrer.Digest, await BundleReferrerSigner.ReadBundleAsync(registry, repository, referrer.Digest, cancellationToken)));
        }

        return bundles;
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

        return (digest, await ReadLayersAsync(repository, ImageDigest.SignatureTag(digest), CosignMediaTypes.SimpleSigning, cancellationToken));
    }

    /// <summary>Everything cosign attaches to an image digest, unverified: the <c>.sig</c> layers, the <c>.att</c> layers and
    /// the Sigstore bundle referrers (a null bundle could not be read). For callers that verify with signers of their own.</summary>
    public async Task<AttachedSignatures> ReadAttachedAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ImageDigest.Validate(digest);
        return new AttachedSignatures(
            await ReadLayersAsync(repository, ImageDigest.SignatureTag(digest), CosignMediaTypes.SimpleSigning, cancellationToken),
            await ReadLayersAsync(repository, ImageDigest.AttestationTag(digest), CosignMediaTypes.DsseEnvelope, cancellationToken),
            await ReadBundlesAsync(repository, digest, cancellationToken));
    }

    // The layers of a .sig or .att manifest with the blobs of the given media type (none when the tag does not exist).
    private async Task<IReadOnlyList<SignatureLayer>> ReadLayersAsync(OciRepository repository, string tag, string mediaType, CancellationToken cancellationToken)
    {
        var manifest = await registry.GetManifestAsync(repository, tag, cancellationToken);
        if (manifest is null)
        {
            return [];
        }

        var blobs = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var layer in SignatureManifests.ReadLayers(manifest.Content))
        {
            if (layer.MediaType == mediaType && OciDigest.IsDigest(layer.Digest) && !blobs.ContainsKey(layer.Digest))
            {
                blobs[layer.Digest] = await ReadBlobAsync(repository, layer.Digest, cancellationToken);
            }
        }

        return SignatureManifests.ToSignatureLayers(manifest.Content, d => blobs.GetValueOrDefault(d));
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
