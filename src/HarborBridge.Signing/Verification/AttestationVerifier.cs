using System.Security.Cryptography;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Verification;

/// <summary>An attestation layer that verified: its predicate type and statement bytes.</summary>
public sealed record VerifiedAttestation(int LayerIndex, string PredicateType, byte[] Statement);

/// <summary>Verifies the DSSE layers of a legacy <c>.att</c> manifest with public keys and binds each statement to the image digest.</summary>
public static class AttestationVerifier
{
    public static (IReadOnlyList<VerifiedAttestation> Verified, IReadOnlyList<RejectedSignature> Rejected) Verify(
        string imageDigest,
        IReadOnlyList<ECDsa> trustedKeys,
        IReadOnlyList<SignatureLayer> layers)
    {
        ImageDigest.Validate(imageDigest);
        var verified = new List<VerifiedAttestation>();
        var rejected = new List<RejectedSignature>();
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer.MediaType != CosignMediaTypes.DsseEnvelope)
            {
                rejected.Add(new(i, RejectionReason.WrongMediaType, $"media type '{layer.MediaType}' is not a DSSE envelope"));
                continue;
            }

            if (layer.DeclaredDigest is not null && ImageDigest.Of(layer.Blob) != layer.DeclaredDigest)
            {
                rejected.Add(new(i, RejectionReason.BlobDigestMismatch, $"envelope blob does not match its digest {layer.DeclaredDigest}"));
                continue;
            }

            if (!DsseEnvelope.TryParse(layer.Blob, out var envelope))
            {
                rejected.Add(new(i, RejectionReason.MalformedPayload, "the layer is not a DSSE envelope"));
                continue;
            }

            if (!trustedKeys.Any(envelope.VerifiesWith))
            {
                rejected.Add(new(i, RejectionReason.SignatureInvalid, "the envelope signature does not verify with any trusted key"));
                continue;
            }

            if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType || !InTotoStatement.TryReadSubjects(envelope.Payload, out _, out _))
            {
                rejected.Add(new(i, RejectionReason.MalformedPayload, "the envelope does not hold an in-toto statement"));
                continue;
            }

            var statement = SigstoreBundle.CheckStatement(envelope, imageDigest);
            if (!statement.IsVerified)
            {
                rejected.Add(new(i, RejectionReason.WrongImageDigest, statement.FailureReason!));
                continue;
            }

            verified.Add(new VerifiedAttestation(i, statement.PredicateType!, statement.Statement!));
        }

        return (verified, rejected);
    }
}
