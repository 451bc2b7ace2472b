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
}

/// <summary>A signature that passed every check.</summary>
public sealed record VerifiedSignature(int LayerIndex, SimpleSigningPayload Payload, byte[] PayloadBytes, ECDsa Key);

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

        DockerReference? expected = null;
        if (expectedRepository is not null && !DockerReference.TryParse(expectedRepository, out expected))
        {
            throw new ArgumentException($"'{expectedRepository}' is not a valid repository name.", nameof(expectedRepository));
        }

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

    private static (VerifiedSignature? Verified, RejectedSignature? Rejected) VerifyLayer(
        int index, string imageDigest, DockerReference? expected, IReadOnlyList<ECDsa> keys, SignatureLayer layer)
    {
        RejectedSignature Reject(RejectionReason reason, string message) => new(index, reason, message);

        if (layer.MediaType != CosignMediaTypes.SimpleSigning)
        {
            return (null, Reject(RejectionReason.WrongMediaType, $"media type '{layer.MediaType}' is not a simple-signing signature"));
        }

        if (layer.DeclaredDigest is not null && ImageDigest.Of(layer.Blob) != layer.DeclaredDigest)
        {
            return (null, Reject(RejectionReason.BlobDigestMismatch, $"payload blob does not match its digest {layer.DeclaredDigest}"));
        }

        if (string.IsNullOrEmpty(layer.Signature))
        {
            return (null, Reject(RejectionReason.MissingSignature, $"no '{CosignMediaTypes.SignatureAnnotation}' annotation"));
        }

        // The signature is checked before the payload is parsed: nothing unsigned is interpreted.
        var key = keys.FirstOrDefault(k => EcdsaSignatures.VerifyBase64(k, layer.Blob, layer.Signature));
        if (key is null)
        {
            return (null, Reject(RejectionReason.SignatureInvalid, "the signature does not verify with any trusted key"));
        }

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

        return (new VerifiedSignature(index, payload, layer.Blob, key), null);
    }
}
