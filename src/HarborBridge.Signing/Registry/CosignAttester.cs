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
/// one manifest write, read back and verified before returning, merge repeated when another writer replaced the tag.
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
                if (update.Changed)
                {
                    anyAdded = true;
                    foreach (var blob in update.NewBlobs)
                    {
                        // Fresh envelopes (ECDSA signatures are randomised) cannot exist yet: no HEAD needed.
                        if (uploaded.Add(ImageDigest.Of(blob)))
                        {
                            await registry.UploadBlobAsync(repository, blob, cancellationToken);
                        }
                    }

                    await registry.UploadBlobAsync(repository, update.Config, cancellationToken);
                    try
                    {
                        await registry.PutManifestAsync(repository, tag, update.Manifest, CosignMediaTypes.OciManifest, existing?.Descriptor.Digest, cancellationToken);
                    }
                    catch (OciRegistryException e) when (e.StatusCode == 412)
                    {
                        lastProblem = "the attestation tag changed while we wrote it";
                        await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
                        continue;
                    }
                }

                var readBack = await registry.GetManifestAsync(repository, tag, cancellationToken);
                if (readBack is not null)
                {
                    var readBlobs = await ReadBlobsAsync(repository, readBack.Content, predicateTypes, cancellationToken);
                    var layers = SignatureManifests.ToSignatureLayers(readBack.Content, d => readBlobs.GetValueOrDefault(d))
                        .Where(l => l.MediaType == CosignMediaTypes.DsseEnvelope && readBlobs.ContainsKey(l.DeclaredDigest ?? ""))
                        .ToList();
                    var (verified, _) = AttestationVerifier.Verify(imageDigest, [publicKey], layers);
                    var ours = signed
                        .Select(s => verified.FirstOrDefault(v => v.PredicateType == s.PredicateType && v.Statement.AsSpan().SequenceEqual(s.Envelope.Payload)))
                        .ToList();
                    if (ours.All(v => v is not null))
                    {
                        return new CosignAttestOutcome(anyAdded, tag, readBack.Descriptor.Digest, attempt, ours!);
                    }
                }

                lastProblem = "an attestation was not found in the manifest read back (another writer replaced it)";
                await TagLocks.PauseAsync(attempt, MaxAttempts, time, cancellationToken);
            }

            throw new CosignSigningException(
                $"Could not store a verifiable attestation for {repository}@{imageDigest} after {MaxAttempts} attempts: {lastProblem}.");
        }
        finally
        {
            gate.Release();
        }
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
