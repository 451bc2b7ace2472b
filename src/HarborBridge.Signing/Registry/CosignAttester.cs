using System.Security.Cryptography;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>What <see cref="CosignAttester.AttestAsync(OciRepository, IReadOnlyList{InTotoStatement}, ECDsa, CancellationToken)"/>
/// did; <see cref="Added"/> is false when our key had already attested exactly these statements. <see cref="Verified"/>
/// holds one verified attestation per statement, in the order given.</summary>
public sealed record CosignAttestOutcome(bool Added, string AttestationTag, string ManifestDigest, int Attempts, IReadOnlyList<VerifiedAttestation> Verified);

/// <summary>
/// Stores in-toto statements, each signed in a DSSE envelope, in the image's <c>sha256-&lt;hex&gt;.att</c> manifest the way
/// <c>cosign attest --key --replace</c> (legacy format) does for our key: one layer per predicate type by our key (an
/// identical statement is kept, an older one of the same type replaced), other signers' layers kept, all statements in
/// one manifest write, verified from the bytes written before returning, merge repeated when another writer replaced the tag.
/// </summary>
public sealed class CosignAttester(IOciRegistryClient registry, TimeProvider time)
{
    public const int MaxAttempts = 5;

    public async Task<CosignAttestOutcome> AttestAsync(OciRepository repository, InTotoStatement statement, ECDsa key, CancellationToken cancellationToken) =>
        await AttestAsync(repository, [statement], key, cancellationToken);

    public async Task<CosignAttestOutcome> AttestAsync(OciRepository repository, IReadOnlyList<InTotoStatement> statements, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentNullException.ThrowIfNull(key);
        if (statements.Count == 0 || statements.Select(s => s.SubjectDigest).Distinct(StringComparer.Ordinal).Count() != 1)
        {
            throw new ArgumentException("One or more statements about one image digest are required.", nameof(statements));
        }

        var imageDigest = statements[0].SubjectDigest;
        var tag = ImageDigest.AttestationTag(imageDigest);
        var signed = statements.Select(s => (Envelope: s.Sign(key), s.PredicateType)).ToList();
        var predicateTypes = signed.Select(s => s.PredicateType).ToHashSet(StringComparer.Ordinal);
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));

        var gate = TagLocks.For(repository.ToString(), tag);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var uploaded = new HashSet<string>(StringComparer.Ordinal);
            var anyAdded = false;
            var lastProblem = "";
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var existing = await registry.GetManifestAsync(repository, tag, cancellationToken);
                var blobs = existing is null
                    ? new Dictionary<string, byte[]?>()
                    : await ReadBlobsAsync(repository, existing.Content, predicateTypes, cancellationToken);
                var update = SignatureManifests.UpdateAttestations(existing?.Content, signed, publicKey, d => blobs.GetValueOrDefault(d));
                if (!update.Changed)
                {
                    // Our key already attested exactly these statements in the manifest just read: verify from those bytes.
                    var already = VerifyOurs(imageDigest, signed, publicKey, existing!.Content, d => blobs.GetValueOrDefault(d));
                    if (already is not null)
                    {
                        return new CosignAttestOutcome(anyAdded, tag, existing.Descriptor.Digest, attempt, already);
                    }

                    throw new CosignSigningException($"The attestations of {repository}@{imageDigest} in {tag} do not verify.");
                }

                anyAdded = true;
                foreach (var blob in update.NewBlobs)
                {
                    // Fresh envelopes (ECDSA signatures are randomised) cannot exist yet: no HEAD needed.
                    if (uploaded.Add(ImageDigest.Of(blob)))
                    {
                        await registry.UploadBlobAsync(repository, blob, cancellationToken);
                    }
                }

                OciPushResult pushed;
                try
                {
                    pushed = await ManifestConfigs.PutManifestAsync(registry, repository, tag, update.Manifest, update.Config, existing?.Descriptor.Digest, cancellationToken);
                }
                catch (OciRegistryException e) when (e.StatusCode == 412)
                {
                    lastProblem = "the attestation tag changed while we wrote it";
                    await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
                    continue;
                }

                // Verified from what we PUT, as CosignSigner does: the registry accepted these manifest bytes (digest checked
                // by the client), whose layers reference envelopes uploaded under their digests; nothing is downloaded again.
                var envelopes = signed.Select(s => s.Envelope.ToJson()).ToDictionary(b => ImageDigest.Of(b), StringComparer.Ordinal);
                var verified = VerifyOurs(imageDigest, signed, publicKey, update.Manifest,
                    d => envelopes.GetValueOrDefault(d) ?? blobs.GetValueOrDefault(d))
                    ?? throw new CosignSigningException($"The attestations written for {repository}@{imageDigest} do not verify.");

                // Other signers write this tag too: one HEAD shows whether one replaced it between our GET and now.
                if (existing is not null && (await registry.HeadManifestAsync(repository, tag, cancellationToken))?.Digest != pushed.Digest)
                {
                    lastProblem = "another writer replaced the attestation manifest";
                    await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
                    continue;
                }

                return new CosignAttestOutcome(anyAdded, tag, pushed.Digest, attempt, verified);
            }

            throw new CosignSigningException(
                $"Could not store a verifiable attestation for {repository}@{imageDigest} after {MaxAttempts} attempts: {lastProblem}.");
        }
        finally
        {
            gate.Release();
        }
    }

    // One verified attestation per statement, in order, from the manifest and blobs given; null when one is missing or invalid.
    private static List<VerifiedAttestation>? VerifyOurs(
        string imageDigest, List<(DsseEnvelope Envelope, string PredicateType)> signed, ECDsa publicKey, byte[] manifest, Func<string, byte[]?> blob)
    {
        var layers = SignatureManifests.ToSignatureLayers(manifest, d => blob(d))
            .Where(l => l.MediaType == CosignMediaTypes.DsseEnvelope && blob(l.DeclaredDigest ?? "") is not null)
            .ToList();
        var (verified, _) = AttestationVerifier.Verify(imageDigest, [publicKey], layers);
        var ours = new List<VerifiedAttestation>();
        foreach (var (envelope, predicateType) in signed)
        {
            if (verified.FirstOrDefault(v => v.PredicateType == predicateType && v.Statement.AsSpan().SequenceEqual(envelope.Payload)) is not { } one)
            {
                return null;
            }

            ours.Add(one);
        }

        return ours;
    }

    // Blobs of the DSSE layers with these predicate types: needed to recognise our statements and to verify.
    private async Task<Dictionary<string, byte[]?>> ReadBlobsAsync(OciRepository repository, byte[] manifest, HashSet<string> predicateTypes, CancellationToken cancellationToken)
    {
        var blobs = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var layer in SignatureManifests.ReadLayers(manifest))
        {
            if (layer.MediaType != CosignMediaTypes.DsseEnvelope ||
                !predicateTypes.Contains(layer.Annotations.GetValueOrDefault(CosignMediaTypes.PredicateTypeAnnotation) ?? "") ||
                !OciDigest.IsDigest(layer.Digest) || blobs.ContainsKey(layer.Digest))
            {
                continue;
            }

            try
            {
                blobs[layer.Digest] = await registry.GetBlobAsync(repository, layer.Digest, cancellationToken);
            }
            catch (OciRegistryException e) when (e.StatusCode == 404 || e is OciDigestMismatchException)
            {
                blobs[layer.Digest] = null;
            }
        }

        return blobs;
    }
}
