using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Registry;

/// <summary>What <see cref="BundleReferrerSigner.SignAsync"/> did.</summary>
/// <param name="Added">False when a bundle by our key for this digest was already a referrer: the same statement, or for a plain
/// signature any one of ours.</param>
/// <param name="ManifestDigest">Digest of the referrer manifest holding the verified bundle.</param>
public sealed record BundleReferrerOutcome(bool Added, string ManifestDigest);

/// <summary>
/// Signs an image the way <c>cosign sign --key</c> v3 does by default: an in-toto statement (predicate
/// <see cref="Predicates.CosignSignV1"/>, or any other statement given) in a DSSE envelope inside a key-based Sigstore
/// bundle v0.3, stored as an OCI 1.1 referrer of the image (the fallback index tagged <c>sha256-&lt;hex&gt;</c> when
/// the registry has no referrers API). Idempotent: a bundle by our key about this digest with the same statement (for the
/// plain signature: the same predicate type) is not added again. A statement that differs from ours of its predicate type
/// (a newer decision or scan report) is written and then replaces them: the superseded referrers of ours of that type are
/// deleted and dropped from the fallback index; other signers' referrers stay. The bundle is verified from the bytes
/// written; the referrer list is read back so that an entry lost to a concurrent writer of the fallback index is added again.
/// </summary>
public sealed class BundleReferrerSigner(IOciRegistryClient registry, TimeProvider time)
{
    public const int MaxAttempts = 5;

    /// <summary>Signs <paramref name="imageDigest"/> with cosign v3's plain-signature statement.</summary>
    public Task<BundleReferrerOutcome> SignAsync(OciRepository repository, string imageDigest, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ImageDigest.Validate(imageDigest);
        return AttachAsync(repository, new InTotoStatement(repository.ToString(), imageDigest, Predicates.CosignSignV1, new JsonObject()), key, cancellationToken);
    }

    /// <summary>Attaches <paramref name="statement"/>, signed by <paramref name="key"/>, as a bundle referrer of its subject.</summary>
    public async Task<BundleReferrerOutcome> AttachAsync(OciRepository repository, InTotoStatement statement, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(key);
        var imageDigest = statement.SubjectDigest;
        ImageDigest.Validate(imageDigest);
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));

        var gate = TagLocks.For(repository.ToString(), OciDigest.FallbackTag(imageDigest));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var listed = await OwnBundleReferrers.ListAsync(registry, repository, imageDigest, publicKey, cancellationToken);
            var sameType = listed.Ours.Where(o => o.PredicateType == statement.PredicateType).ToList();
            var payload = statement.ToJson();
            // A plain signature says nothing beyond "signed": any one of ours will do, and none is replaced.
            // An attestation must say the same; ours of its predicate type that say something else are superseded.
            var plain = statement.PredicateType == Predicates.CosignSignV1;
            var current = plain ? sameType.FirstOrDefault() : sameType.FirstOrDefault(o => o.Statement.AsSpan().SequenceEqual(payload));
            var superseded = plain
                ? []
                : sameType.Select(o => o.ManifestDigest).Where(d => d != current?.ManifestDigest).ToHashSet(StringComparer.Ordinal);
            if (current is not null)
            {
                // A redelivery: nothing to write (older ones left behind by an interrupted replacement go now).
                await OwnBundleReferrers.RemoveAsync(registry, repository, imageDigest, superseded, listed.FromFallbackTag, cancellationToken);
                return new BundleReferrerOutcome(false, current.ManifestDigest);
            }

            var subject = await registry.HeadManifestAsync(repository, imageDigest, cancellationToken)
                ?? throw new CosignSigningException($"{repository}@{imageDigest} does not exist: nothing to attach a bundle to.");
            var bundle = SigstoreBundle.Create(statement.Sign(key), publicKey);
            var check = SigstoreBundle.Verify(bundle, imageDigest, [publicKey]);
            if (!check.IsVerified)
            {
                throw new CosignSigningException($"The bundle made for {repository}@{imageDigest} does not verify: {check.FailureReason}.");
            }

            var manifest = SigstoreBundle.ReferrerManifest(bundle, statement.PredicateType, subject.MediaType, imageDigest, subject.Size, time.GetUtcNow());
            await registry.UploadBlobAsync(repository, bundle, cancellationToken);
            await registry.PushBlobAsync(repository, SigstoreBundle.EmptyConfig, mountFrom: null, cancellationToken);
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var pushed = await registry.PushReferrerAsync(repository, manifest, CosignMediaTypes.OciManifest, imageDigest,
                    CosignMediaTypes.SigstoreBundleV03, cancellationToken);
                var listedNow = await registry.ListReferrersAsync(repository, imageDigest, CosignMediaTypes.SigstoreBundleV03, cancellationToken);
                if (listedNow.Manifests.Any(d => d.Digest == pushed.Digest))
                {
                    // Only now that the new one is listed: the superseded attestations of ours of this predicate type go.
                    await OwnBundleReferrers.RemoveAsync(registry, repository, imageDigest, superseded, listedNow.FromFallbackTag, cancellationToken);
                    return new BundleReferrerOutcome(true, pushed.Digest);
                }

                await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
            }

            throw new CosignSigningException(
                $"The bundle referrer of {repository}@{imageDigest} kept disappearing from the referrers list after {MaxAttempts} attempts.");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The bundle a referrer manifest holds; null when the manifest, its bundle layer or the blob is missing or corrupt.</summary>
    internal static async Task<byte[]?> ReadBundleAsync(IOciRegistryClient registry, OciRepository repository, string referrerDigest, CancellationToken cancellationToken)
    {
        var manifest = await registry.GetManifestAsync(repository, referrerDigest, cancellationToken);
        var layer = manifest is null ? null : BundleLayer(manifest.Content);
        if (layer is null)
        {
            return null;
        }

        try
        {
            return await registry.GetBlobAsync(repository, layer, cancellationToken);
        }
        catch (OciRegistryException e) when (e.StatusCode == 404 || e is OciDigestMismatchException)
        {
            return null;
        }
    }

    internal static string? BundleLayer(byte[] manifest)
    {
        try
        {
            var layers = JsonNode.Parse(manifest)?["layers"] as JsonArray;
            return layers?.OfType<JsonObject>()
                .Where(l => (string?)l["mediaType"] == CosignMediaTypes.SigstoreBundleV03)
                .Select(l => (string?)l["digest"])
                .FirstOrDefault(d => d is not null && OciDigest.IsDigest(d));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
