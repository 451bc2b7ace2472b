using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Registry;

/// <summary>One Sigstore bundle referrer whose bundle verifies with our key for the image digest.</summary>
/// <param name="ManifestDigest">Digest of the referrer manifest.</param>
/// <param name="PredicateType">The in-toto predicate type of the bundle's statement.</param>
/// <param name="Statement">The statement payload the bundle signs.</param>
internal sealed record OwnBundleReferrer(string ManifestDigest, string? PredicateType, byte[] Statement);

/// <summary>What <see cref="OwnBundleReferrers.ListAsync"/> found among an image's bundle referrers.</summary>
/// <param name="Ours">The referrers whose bundle verifies with our key.</param>
/// <param name="Others">How many other bundle referrers there are (other signers, unreadable ones).</param>
/// <param name="FromFallbackTag">True when the registry has no referrers API and the list is the <c>sha256-&lt;hex&gt;</c> index.</param>
internal sealed record OwnBundleReferrerList(IReadOnlyList<OwnBundleReferrer> Ours, int Others, bool FromFallbackTag);

/// <summary>
/// Finds and removes the bundle referrers our key wrote for an image (shared by <see cref="BundleReferrerSigner"/>, which
/// replaces superseded attestations, and <see cref="RegistryArtifactUnsigner"/>). Callers hold the fallback tag's
/// <see cref="TagLocks"/> gate.
/// </summary>
internal static class OwnBundleReferrers
{
    /// <summary>The bundle referrers of <paramref name="imageDigest"/> whose bundle verifies with <paramref name="publicKey"/>;
    /// unreadable ones are not ours to judge and count as others.</summary>
    public static async Task<OwnBundleReferrerList> ListAsync(
        IOciRegistryClient registry, OciRepository repository, string imageDigest, ECDsa publicKey, CancellationToken cancellationToken)
    {
        var referrers = await registry.ListReferrersAsync(repository, imageDigest, CosignMediaTypes.SigstoreBundleV03, cancellationToken);
        var ours = new List<OwnBundleReferrer>();
        foreach (var referrer in referrers.Manifests)
        {
            if (await BundleReferrerSigner.ReadBundleAsync(registry, repository, referrer.Digest, cancellationToken) is not { } bundle)
            {
                continue;
            }

            var result = SigstoreBundle.Verify(bundle, imageDigest, [publicKey]);
            if (result.IsVerified && ours.All(o => o.ManifestDigest != referrer.Digest))
            {
                ours.Add(new OwnBundleReferrer(referrer.Digest, result.PredicateType, result.Statement ?? []));
            }
        }

        var others = referrers.Manifests.Count(r => ours.All(o => o.ManifestDigest != r.Digest));
        return new OwnBundleReferrerList(ours, others, referrers.FromFallbackTag);
    }

    /// <summary>Deletes the given referrer manifests of <paramref name="imageDigest"/>. Where the registry has no referrers API
    /// the <c>sha256-&lt;hex&gt;</c> index is rewritten without them first (other entries kept as they are), so that should
    /// the deletes not happen nothing lists a referrer that is gone.</summary>
    public static async Task RemoveAsync(
        IOciRegistryClient registry, OciRepository repository, string imageDigest, IReadOnlySet<string> referrers, bool fromFallbackTag,
        CancellationToken cancellationToken)
    {
        if (referrers.Count == 0)
        {
            return;
        }

        if (fromFallbackTag)
        {
            await DropFromFallbackIndexAsync(registry, repository, imageDigest, referrers, cancellationToken);
        }

        foreach (var referrer in referrers)
        {
            await registry.DeleteManifestAsync(repository, referrer, cancellationToken);
        }
    }

    // Rewrites the sha256-<hex> index without the given entries (other fields kept as they were); deletes it when empty.
    private static async Task DropFromFallbackIndexAsync(
        IOciRegistryClient registry, OciRepository repository, string imageDigest, IReadOnlySet<string> drop, CancellationToken cancellationToken)
    {
        var tag = OciDigest.FallbackTag(imageDigest);
        var existing = await registry.GetManifestAsync(repository, tag, cancellationToken);
        if (existing is null || JsonNode.Parse(existing.Content) is not JsonObject index || index["manifests"] is not JsonArray entries)
        {
            return;
        }

        var remaining = entries.Where(e => e?["digest"]?.GetValue<string>() is not { } d || !drop.Contains(d)).Select(e => e?.DeepClone()).ToArray();
        if (remaining.Length == entries.Count)
        {
            return;
        }

        if (remaining.Length == 0)
        {
            await registry.DeleteManifestAsync(repository, existing.Descriptor.Digest, cancellationToken);
            return;
        }

        index["manifests"] = new JsonArray(remaining);
        await registry.PutManifestAsync(repository, tag, Encoding.UTF8.GetBytes(index.ToJsonString()), CosignMediaTypes.OciIndex, existing.Descriptor.Digest, cancellationToken);
    }
}
