using System.Security.Cryptography;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.SimpleSigning;

namespace HarborBridge.Signing.Verification;

/// <summary>Why one signature layer was not accepted.</summary>
public enum RejectionReason
{
    WrongMediaType,
    BlobDigestMismatch,
    MissingSignature,
    SignatureInvalid,
    MalformedPayload,
    WrongImageDigest,
    WrongIdentity,
    MissingCertificate,
    MissingTransparencyProof,
    TransparencyProofInvalid,
    CertificateUntrusted,
}

/// <summary>A signature that passed every check.</summary>
/// <param name="Signer">For keyless signatures: the certificate identity and issuer that signed.</param>
public sealed record VerifiedSignature(int LayerIndex, SimpleSigningPayload Payload, byte[] PayloadBytes, ECDsa Key, CertificateIdentity? Signer = null);

/// <summary>A layer that failed, with the first check it failed and a sentence for the user.</summary>
public sealed record RejectedSignature(int LayerIndex, RejectionReason Reason, string Message);

/// <summary>All layers sorted into accepted and rejected. The image counts as signed when at least one is accepted.</summary>
public sealed record SignatureVerificationResult(IReadOnlyList<VerifiedSignature> Verified, IReadOnlyList<RejectedSignature> Rejected)
{
    public bool IsVerified => Verified.Count > 0;

    /// <summary>One line per rejected layer, or a note that there were no signatures at all.</summary>
    public string Explain() => Verified.Count + Rejected.Count == 0
        ? "no signatures found"
        : string.Join("; ", Rejected.Select(r => $"layer {r.LayerIndex}: {r.Message}"));
}

/// <summary>
/// Verifies legacy (simple-signing) cosign signatures with public keys, checking what skopeo's
/// <c>sigstoreSigned</c> policy with <c>matchRepository</c> checks: the blob matches its descriptor,
/// the signature verifies with one of the keys over the exact payload bytes, the payload has the strict
/// shape, it names the image digest (so a signature copied to another image fails), and its
/// <c>docker-reference</c> is in the expected repository (tag ignored).
/// </summary>
public static class SimpleSigningVerifier
{
    /// <param name="imageDigest">Digest of the manifest the signatures must be about.</param>
    /// <param name="expectedRepository">Repository the identity must name (e.g. <c>harbor.example.com/team/app</c>); null skips the identity check, as <c>cosign verify</c> does.</param>
    public static SignatureVerificationResult Verify(
        string imageDigest,
        string? expectedRepository,
        IReadOnlyList<ECDsa> trustedKeys,
        IReadOnlyList<SignatureLayer> layers)
    {
        ImageDigest.Validate(imageDigest);
        if (trustedKeys.Count == 0)
        {
            throw new ArgumentException("At least one public key is needed.", nameof(trustedKeys));
        }

        var expected = ParseExpected(expectedRepository);
        var verified = new List<VerifiedSignature>();
        var rejected = new List<RejectedSignature>();
        for (var i = 0; i < layers.Count; i++)
        {
            var outcome = VerifyLayer(i, imageDigest, expected, trustedKeys, layers[i]);
            if (outcome.Verified is not null)
            {
                verified.Add(outcome.Verified);
            }
            else
            {
                rejected.Add(outcome.Rejected!);
            }
        }

        return new SignatureVerificationResult(verified, rejected);
    }

    internal static DockerReference? ParseExpected(string? expectedRepository)
    {
        DockerReference? expected = null;
        if (expectedRepository is not null && !DockerReference.TryParse(expectedRepository, out expected))
        {
            throw new ArgumentException($"'{expectedRepository}' is not a valid repository name.", nameof(expectedRepository));
        }

        return expected;
    }

    private static (VerifiedSignature? Verified, RejectedSignature? Rejected) VerifyLayer(
        int index, string imageDigest, DockerReference? expected, IReadOnlyList<ECDsa> keys, SignatureLayer layer)
    {
        if (CheckShape(index, layer) is { } malformed)
        {
            return (null, malformed);
        }

        // The signature is checked before the payload is parsed: nothing unsigned is interpreted.
        var key = keys.FirstOrDefault(k => EcdsaSignatures.VerifyBase64(k, layer.Blob, layer.Signature));
        if (key is null)
        {
            return (null, new RejectedSignature(index, RejectionReason.SignatureInvalid, "the signature does not verify with any trusted key"));
        }

        return CheckClaims(index, imageDigest, expected, layer, key, signer: null);
    }

    /// <summary>Media type, blob digest and presence of the signature annotation; null when the layer can be checked further.</summary>
    internal static RejectedSignature? CheckShape(int index, SignatureLayer layer)
    {
        if (layer.MediaType != CosignMediaTypes.SimpleSigning)
        {
            return new RejectedSignature(index, RejectionReason.WrongMediaType, $"media type '{layer.MediaType}' is not a simple-signing signature");
        }

        if (layer.DeclaredDigest is not null && ImageDigest.Of(layer.Blob) != layer.DeclaredDigest)
        {
            return new RejectedSignature(index, RejectionReason.BlobDigestMismatch, $"payload blob does not match its digest {layer.DeclaredDigest}");
        }

        return string.IsNullOrEmpty(layer.Signature)
            ? new RejectedSignature(index, RejectionReason.MissingSignature, $"no '{CosignMediaTypes.SignatureAnnotation}' annotation")
            : null;
    }

    /// <summary>The claims of a payload whose signature already verified: strict shape, image digest, repository.</summary>
    internal static (VerifiedSignature? Verified, RejectedSignature? Rejected) CheckClaims(
        int index, string imageDigest, DockerReference? expected, SignatureLayer layer, ECDsa key, CertificateIdentity? signer)
    {
        RejectedSignature Reject(RejectionReason reason, string message) => new(index, reason, message);

        SimpleSigningPayload payload;
        try
        {
            payload = SimpleSigningPayload.Parse(layer.Blob);
        }
        catch (SimpleSigningPayloadException ex)
        {
            return (null, Reject(RejectionReason.MalformedPayload, ex.Message));
        }

        if (payload.ManifestDigest != imageDigest)
        {
            return (null, Reject(RejectionReason.WrongImageDigest,
                $"the signature is for {payload.ManifestDigest}, not for {imageDigest}"));
        }

        if (expected is not null)
        {
            if (!DockerReference.TryParse(payload.DockerReference, out var signed) || signed.Repository != expected.Repository)
            {
                return (null, Reject(RejectionReason.WrongIdentity,
                    $"the signature is for repository '{payload.DockerReference}', not '{expected.Repository}'"));
            }
        }

        return (new VerifiedSignature(index, payload, layer.Blob, key, signer), null);
    }
}
