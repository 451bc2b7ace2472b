using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Oci;
using Microsoft.Extensions.Options;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// <see cref="IArtifactUnsigner"/> over Harbor's registry: reads the digest's <c>.sig</c> and <c>.att</c> manifests,
/// drops the layers HarborBridge's key signed (<see cref="SignatureLayerRemoval"/>) and writes back what other signers
/// left; a manifest left empty is deleted. Sigstore bundle referrers whose bundle verifies with our key for the digest
/// are deleted too (and dropped from the <c>sha256-&lt;hex&gt;</c> fallback index where the registry has no referrers
/// API); other signers' bundles stay. The replaced manifest is deleted by digest as well, so Harbor forgets its
/// <c>signature.cosign</c> accessory (Harbor's cosign pull check only asks whether such an accessory exists).
/// Serialised with <see cref="CosignSigner"/> per tag, so a concurrent sign in this process cannot be lost.
/// </summary>
public sealed class RegistryArtifactUnsigner(IOciRegistryClient registry, IOptions<HarborOptions> harbor, SigningKeyProvider keys) : IArtifactUnsigner
{
    public async Task<SignatureRemoval> RemoveOwnSignaturesAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ImageDigest.Validate(artifact.Digest);
        if (!keys.IsEnabled)
        {
            // Without a key HarborBridge never signed anything, so there is nothing of ours to remove.
            return new SignatureRemoval(0, 0, 0);
        }

        var options = harbor.Value;
        if (!options.IsConfigured)
        {
            throw new InvalidOperationException($"{HarborOptions.SectionName}:Url is not set; there is no registry to unsign in.");
        }

        var repository = OciRepository.InHarbor(new Uri(options.Url!), artifact.Project, artifact.Repository);
        using var key = keys.CreateKey();
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
        var (signatures, keptSig) = await RemoveAsync(repository, ImageDigest.SignatureTag(artifact.Digest), publicKey, cancellationToken);
        var (attestations, keptAtt) = await RemoveAsync(repository, ImageDigest.AttestationTag(artifact.Digest), publicKey, cancellationToken);
        var (bundles, keptBundles) = await RemoveBundlesAsync(repository, artifact.Digest, publicKey, cancellationToken);
        return new SignatureRemoval(signatures, attestations, keptSig + keptAtt + keptBundles, bundles);
    }

    // Whatever the configured format is now: an earlier configuration may have written bundles.
    private async Task<(int Removed, int Kept)> RemoveBundlesAsync(OciRepository repository, string digest, ECDsa publicKey, CancellationToken cancellationToken)
    {
        // The signer updates the fallback index under this lock too.
        var gate = TagLocks.For(repository.ToString(), OciDigest.FallbackTag(digest));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var listed = await OwnBundleReferrers.ListAsync(registry, repository, digest, publicKey, cancellationToken);
            var ours = listed.Ours.Select(o => o.ManifestDigest).ToHashSet(StringComparer.Ordinal);
            await OwnBundleReferrers.RemoveAsync(registry, repository, digest, ours, listed.FromFallbackTag, cancellationToken);
            return (ours.Count, listed.Others);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<(int Removed, int Kept)> RemoveAsync(OciRepository repository, string tag, ECDsa publicKey, CancellationToken cancellationToken)
    {
        var gate = TagLocks.For(repository.ToString(), tag);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var existing = await registry.GetManifestAsync(repository, tag, cancellationToken);
            if (existing is null)
            {
                return (0, 0);
            }

            var blobs = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            foreach (var layer in SignatureManifests.ReadLayers(existing.Content))
            {
                blobs[layer.Digest] = await TryGetBlobAsync(repository, layer.Digest, cancellationToken);
            }

            var result = SignatureLayerRemoval.RemoveSignedBy(existing.Content, publicKey, d => blobs.GetValueOrDefault(d));
            if (result.Removed == 0)
            {
                return (0, result.Kept);
            }

            if (result.Manifest is not null)
            {
                await ManifestConfigs.PutManifestAsync(registry, repository, tag, result.Manifest, result.Config!, existing.Descriptor.Digest, cancellationToken);
            }

            await registry.DeleteManifestAsync(repository, existing.Descriptor.Digest, cancellationToken);
            return (result.Removed, result.Kept);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<byte[]?> TryGetBlobAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        try
        {
            return await registry.GetBlobAsync(repository, digest, cancellationToken);
        }
        catch (OciRegistryException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }
}
