using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Registry;

/// <summary>What <see cref="BundleReferrerSigner.SignAsync"/> did.</summary>
/// <param name="Added">False when a bundle by our key for this digest and predicate type was already a referrer.</param>
/// <param name="ManifestDigest">Digest of the referrer manifest holding the verified bundle.</param>
public sealed record BundleReferrerOutcome(bool Added, string ManifestDigest);

/// <summary>
/// Signs an image the way <c>cosign sign --key</c> v3 does by default: an in-toto statement (predicate
/// <see cref="Predicates.CosignSignV1"/>, or any other statement given) in a DSSE envelope inside a key-based Sigstore
/// bundle v0.3, stored as an OCI 1.1 referrer of the image (the fallback index tagged <c>sha256-&lt;hex&gt;</c> when
/// the registry has no referrers API). Idempotent: a bundle by our key with the same predicate type about this digest
/// is not added again. The bundle is verified from the bytes written; the referrer list is read back so that an entry
/// lost to a concurrent writer of the fallback index is added again.
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
            var existing = await FindOursAsync(repository, imageDigest, statement.PredicateType, publicKey, cancellationToken);
            if (existing is not null)
            {
                return new BundleReferrerOutcome(false, existing);
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
                var listed = await registry.ListReferrersAsync(repository, imageDigest, CosignMediaTypes.SigstoreBundleV03, cancellationToken);
                if (listed.Manifests.Any(d => d.Digest == pushed.Digest))
                {
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

    // A referrer whose bundle verifies with our key, is about this digest and has this predicate type.
    private async Task<string?> FindOursAsync(OciRepository repository, string imageDigest, string predicateType, ECDsa publicKey, CancellationToken cancellationToken)
    {
        var referrers = await registry.ListReferrersAsync(repository, imageDigest, CosignMediaTypes.SigstoreBundleV03, cancellationToken);
        foreach (var referrer in referrers.Manifests)
        {
            if (await ReadBundleAsync(registry, repository, referrer.Digest, cancellationToken) is not { } bundle)
            {
                continue;
            }

            var result = SigstoreBundle.Verify(bundle, imageDigest, [publicKey]);
            if (result.IsVerified && result.PredicateType == predicateType)
            {
                return referrer.Digest;
            }
        }

        return null;
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
