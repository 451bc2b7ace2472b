using System.Security.Cryptography;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>What <see cref="CosignAttester.AttestAsync"/> did; <see cref="Added"/> is false when our key had already
/// attested the identical statement.</summary>
public sealed record CosignAttestOutcome(bool Added, string AttestationTag, string ManifestDigest, int Attempts, VerifiedAttestation Verified);

/// <summary>
/// Stores an in-toto statement, signed in a DSSE envelope, in the image's <c>sha256-&lt;hex&gt;.att</c> manifest the way
/// <c>cosign attest --key</c> (legacy format) does, with the same guarantees as <see cref="CosignSigner"/>: other
/// layers kept, an identical statement by our key not added twice, read back and verified before returning, merge
/// repeated when another writer replaced the tag.
/// </summary>
public sealed class CosignAttester(IOciRegistryClient registry, TimeProvider time)
{
    public const int MaxAttempts = 5;

    public async Task<CosignAttestOutcome> AttestAsync(OciRepository repository, InTotoStatement statement, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(key);
        var imageDigest = statement.SubjectDigest;
        var tag = ImageDigest.AttestationTag(imageDigest);
        var envelope = statement.Sign(key);
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));

        var gate = TagLocks.For(repository.ToString(), tag);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var envelopeUploaded = false;
            var anyAdded = false;
            var lastProblem = "";
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var existing = await registry.GetManifestAsync(repository, tag, cancellationToken);
                var blobs = existing is null
                    ? new Dictionary<string, byte[]?>()
                    : await ReadBlobsAsync(repository, existing.Content, statement.PredicateType, cancellationToken);
                var update = SignatureManifests.AppendAttestation(existing?.Content, envelope, statement.PredicateType, publicKey, d => blobs.GetValueOrDefault(d));
                if (update.Added)
                {
                    anyAdded = true;
                    if (!envelopeUploaded)
                    {
                        // A fresh envelope (ECDSA signatures are randomised) cannot exist yet: no HEAD needed.
                        await registry.UploadBlobAsync(repository, update.LayerBlob, cancellationToken);
                        envelopeUploaded = true;
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
                    var readBlobs = await ReadBlobsAsync(repository, readBack.Content, statement.PredicateType, cancellationToken);
                    var layers = SignatureManifests.ToSignatureLayers(readBack.Content, d => readBlobs.GetValueOrDefault(d))
                        .Where(l => l.MediaType == CosignMediaTypes.DsseEnvelope && readBlobs.ContainsKey(l.DeclaredDigest ?? ""))
                        .ToList();
                    var (verified, _) = AttestationVerifier.Verify(imageDigest, [publicKey], layers);
                    var ours = verified.FirstOrDefault(v => v.PredicateType == statement.PredicateType && v.Statement.AsSpan().SequenceEqual(envelope.Payload));
                    if (ours is not null)
                    {
                        return new CosignAttestOutcome(anyAdded, tag, readBack.Descriptor.Digest, attempt, ours);
                    }
                }

                lastProblem = "the attestation was not found in the manifest read back (another writer replaced it)";
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

    // Blobs of the DSSE layers with this predicate type: needed to recognise an identical statement and to verify.
    private async Task<Dictionary<string, byte[]?>> ReadBlobsAsync(OciRepository repository, byte[] manifest, string predicateType, CancellationToken cancellationToken)
    {
        var blobs = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var layer in SignatureManifests.ReadLayers(manifest))
        {
            if (layer.MediaType != CosignMediaTypes.DsseEnvelope ||
                layer.Annotations.GetValueOrDefault(CosignMediaTypes.PredicateTypeAnnotation) != predicateType ||
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
