using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keyless;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.SimpleSigning;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>What <see cref="CosignSigner.SignAsync"/> did.</summary>
/// <param name="Added">False when our key had already signed this digest (nothing was written).</param>
/// <param name="SignatureTag">The <c>sha256-&lt;hex&gt;.sig</c> tag.</param>
/// <param name="SignatureManifestDigest">Digest of the <c>.sig</c> manifest holding our verified layer (as the registry confirmed it).</param>
/// <param name="Attempts">Read-merge-write rounds needed (more than 1 when another signer wrote at the same time).</param>
/// <param name="Verified">Our signature, verified from the manifest and payload bytes stored in the registry.</param>
public sealed record CosignSignOutcome(
    bool Added,
    string SignatureTag,
    string SignatureManifestDigest,
    int Attempts,
    VerifiedSignature Verified);

/// <summary>Signing failed: the registry refused, or what was written could not be read back and verified.</summary>
public sealed class CosignSigningException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// Signs an image digest the way <c>cosign sign --key</c> (legacy format) does and stores the signature in the
/// registry: the <c>sha256-&lt;hex&gt;.sig</c> manifest is read, our simple-signing layer is appended unless our key
/// already signed this digest (other signers' layers are kept), new blobs are uploaded and the manifest is PUT. What was
/// written is verified from the bytes that were PUT and the digest the registry confirmed, not downloaded again. When
/// other signers' layers were present, one HEAD of the tag checks that nobody replaced it meanwhile (registries such as
/// docker-registry 2.8 ignore <c>If-Match</c>); if someone did, the round is repeated, at most <see cref="MaxAttempts"/>
/// times. Signers in one process are serialised per signature tag, so they never race each other.
/// </summary>
/// <remarks>Registry round trips for the first signature of an image: GET tag (404), POST+PUT payload, PUT manifest = 4
/// (the shared empty config costs a HEAD, and POST+PUT when missing, once per repository: <see cref="ManifestConfigs"/>).
/// Adding to another signer's tag: GET, HEAD payload (+POST+PUT when new), POST+PUT of its rebuilt image config, PUT,
/// HEAD tag.</remarks>
public sealed class CosignSigner(IOciRegistryClient registry, TimeProvider time)
{
    public const int MaxAttempts = 5;

    /// <summary>Signs <paramref name="imageDigest"/> in <paramref name="repository"/> with <paramref name="key"/>.
    /// The signature's identity is the repository without tag (<c>host/name</c>), as cosign writes it.</summary>
    public async Task<CosignSignOutcome> SignAsync(
        OciRepository repository,
        string imageDigest,
        ECDsa key,
        IReadOnlyDictionary<string, string>? annotations,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(key);
        ImageDigest.Validate(imageDigest);
        var payload = SimpleSigningPayload.Create(repository.ToString(), imageDigest, annotations);
        var signature = Convert.ToBase64String(EcdsaSignatures.Sign(key, payload));
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
        return await StoreAsync(repository, imageDigest, payload, signature, publicKey, null, cancellationToken);
    }

    /// <summary>
    /// Stores a keyless signature as cosign v2 does: the simple-signing layer carries the Fulcio leaf
    /// (<c>dev.sigstore.cosign/certificate</c>), its issuers (<c>dev.sigstore.cosign/chain</c>) and the Rekor proof
    /// (<c>dev.sigstore.cosign/bundle</c>). The payload must name <paramref name="repository"/> and <paramref name="imageDigest"/>.
    /// Every keyless signing has a new key, so signing again adds another layer (as with cosign).
    /// </summary>
    public async Task<CosignSignOutcome> StoreKeylessAsync(
        OciRepository repository, string imageDigest, KeylessSignature signature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(signature);
        ImageDigest.Validate(imageDigest);
        using var leaf = X509Certificate2.CreateFromPem(signature.Certificate.LeafPem);
        using var publicKey = leaf.GetECDsaPublicKey()
            ?? throw new CosignSigningException("The Fulcio certificate does not hold an ECDSA key.");
        return await StoreAsync(repository, imageDigest, signature.Payload, Convert.ToBase64String(signature.Signature), publicKey,
            KeylessAnnotations(signature), cancellationToken);
    }

    /// <summary>The annotations of a keyless <c>.sig</c> layer besides the signature: certificate, chain, Rekor bundle.</summary>
    internal static Dictionary<string, string> KeylessAnnotations(KeylessSignature signature) => new(StringComparer.Ordinal)
    {
        [KeylessSignatureVerifier.CertificateAnnotation] = signature.Certificate.LeafPem,
        [KeylessSignatureVerifier.ChainAnnotation] = string.Concat(signature.Certificate.ChainPem.Select(p => p.TrimEnd('\n') + "\n")),
        [RekorSet.BundleAnnotation] = signature.RekorEntry.LegacyBundleAnnotation(),
    };

    private async Task<CosignSignOutcome> StoreAsync(
        OciRepository repository,
        string imageDigest,
        byte[] payload,
        string signature,
        ECDsa publicKey,
        IReadOnlyDictionary<string, string>? layerAnnotations,
        CancellationToken cancellationToken)
    {
        var tag = ImageDigest.SignatureTag(imageDigest);
        var identity = repository.ToString();
        var payloadDigest = ImageDigest.Of(payload);
        var gate = TagLocks.For(identity, tag);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var payloadUploaded = false;
            var anyAdded = false;
            string? lastProblem = null;
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var existing = await registry.GetManifestAsync(repository, tag, cancellationToken);
                var update = SignatureManifests.AppendSignature(existing?.Content, payload, signature, publicKey, layerAnnotations);
                if (!update.Added)
                {
                    // Our key already signed this payload in the manifest just read: verify that layer from those bytes.
                    var (already, problem) = VerifyOurs(update.Manifest, payload, payloadDigest, imageDigest, identity, publicKey);
                    if (already is not null)
                    {
                        return new CosignSignOutcome(anyAdded, tag, existing!.Descriptor.Digest, attempt, already);
                    }

                    throw new CosignSigningException($"The signature of {identity}@{imageDigest} in {tag} does not verify: {problem}.");
                }

                anyAdded = true;
                payloadUploaded = await UploadAsync(repository, payload, payloadUploaded, existing is null, cancellationToken);
                OciPushResult pushed;
                try
                {
                    pushed = await ManifestConfigs.PutManifestAsync(registry, repository, tag, update.Manifest, update.Config,
                        existing?.Descriptor.Digest, cancellationToken);
                }
                catch (OciRegistryException e) when (e.StatusCode == 412)
                {
                    // A registry that honours If-Match saw another signer's write: merge again.
                    lastProblem = "the signature tag changed while we wrote it";
                    await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
                    continue;
                }

                // Verified from what we PUT: the registry accepted these manifest bytes (digest checked by the client)
                // whose layers reference the payload we uploaded under its digest; nothing is downloaded again.
                var (verified, invalid) = VerifyOurs(update.Manifest, payload, payloadDigest, imageDigest, identity, publicKey);
                if (verified is null)
                {
                    throw new CosignSigningException($"The signature written for {identity}@{imageDigest} does not verify: {invalid}.");
                }

                // Other signers write this tag too: one HEAD shows whether one replaced it between our GET and now.
                if (existing is not null)
                {
                    var current = await registry.HeadManifestAsync(repository, tag, cancellationToken);
                    if (current?.Digest != pushed.Digest)
                    {
                        lastProblem = "another signer replaced the signature manifest without our layer";
                        await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
                        continue;
                    }
                }

                return new CosignSignOutcome(anyAdded, tag, pushed.Digest, attempt, verified);
            }

            throw new CosignSigningException(
                $"Could not store a verifiable signature for {identity}@{imageDigest} after {MaxAttempts} attempts: {lastProblem}.");
        }
        finally
        {
            gate.Release();
        }
    }

    // The payload is uploaded once. When the .sig tag did not exist the payload is new, so the HEAD is skipped.
    private async Task<bool> UploadAsync(OciRepository repository, byte[] payload, bool alreadyUploaded, bool tagWasMissing, CancellationToken cancellationToken)
    {
        if (alreadyUploaded)
        {
            return true;
        }

        if (tagWasMissing)
        {
            await registry.UploadBlobAsync(repository, payload, cancellationToken);
        }
        else
        {
            await registry.PushBlobAsync(repository, payload, mountFrom: null, cancellationToken);
        }

        return true;
    }

    private static (VerifiedSignature? Verified, string Problem) VerifyOurs(
        byte[] manifest, byte[] payload, string payloadDigest, string imageDigest, string identity, ECDsa publicKey)
    {
        var layers = SignatureManifests.ReadLayers(manifest)
            .Where(l => l.Digest == payloadDigest)
            .Select(l => new SignatureLayer(l.MediaType, payload, l.Annotations, l.Digest))
            .ToList();
        if (layers.Count == 0)
        {
            return (null, "our layer is missing from the manifest");
        }

        var result = SimpleSigningVerifier.Verify(imageDigest, identity, [publicKey], layers);
        return result.IsVerified ? (result.Verified[0], "") : (null, result.Explain());
    }
}

/// <summary>Per-tag serialisation of writers in this process (64 striped locks) and the pause between merge rounds.</summary>
internal static class TagLocks
{
    private static readonly SemaphoreSlim[] Locks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public static SemaphoreSlim For(string repository, string tag) =>
        Locks[(int)((uint)StringComparer.Ordinal.GetHashCode($"{repository}:{tag}") % Locks.Length)];

    public static Task PauseAsync(int attempt, int maxAttempts, TimeProvider time, CancellationToken cancellationToken) =>
        attempt >= maxAttempts
            ? Task.CompletedTask
            : Task.Delay(TimeSpan.FromMilliseconds((25 << attempt) + RandomNumberGenerator.GetInt32(0, 25)), time, cancellationToken);
}
