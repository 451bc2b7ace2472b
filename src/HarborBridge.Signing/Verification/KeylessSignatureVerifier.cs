using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>The certificate identity and OIDC issuer a keyless signature must have (exact match, as cosign's
/// <c>--certificate-identity</c> / <c>--certificate-oidc-issuer</c>). Null identity and issuer: any certificate from the
/// trusted CAs verifies, and the caller judges the identity returned with it (the trust policy does).</summary>
public sealed record KeylessPolicy(string? Identity, string? Issuer, KeylessTrust Trust)
{
    public static KeylessPolicy AnyIdentity(KeylessTrust trust) => new(null, null, trust);
}

/// <summary>
/// Verifies legacy keyless cosign signatures (<c>.sig</c> layers as cosign v2 writes them): the layer carries the Fulcio
/// leaf in <c>dev.sigstore.cosign/certificate</c>, its issuers in <c>dev.sigstore.cosign/chain</c> and the Rekor proof in
/// <c>dev.sigstore.cosign/bundle</c>. Per layer, in this order: layer shape; the signature over the payload with the
/// leaf's key; the Rekor SET by a trusted Rekor key (valid at that time) for exactly this payload, signature and
/// certificate, which gives the trusted signing time; the certificate chain to a trusted Fulcio root at that time,
/// code signing, identity and issuer; then the payload's claims as for key-signed layers.
/// </summary>
public static class KeylessSignatureVerifier
{
    public const string CertificateAnnotation = "dev.sigstore.cosign/certificate";
    public const string ChainAnnotation = "dev.sigstore.cosign/chain";

    public static SignatureVerificationResult Verify(
        string imageDigest, string? expectedRepository, KeylessPolicy policy, IReadOnlyList<SignatureLayer> layers)
    {
        ImageDigest.Validate(imageDigest);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(layers);
        var expected = SimpleSigningVerifier.ParseExpected(expectedRepository);
        var verified = new List<VerifiedSignature>();
        var rejected = new List<RejectedSignature>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (ok, failed) = VerifyLayer(i, imageDigest, expected, policy, layers[i]);
            if (ok is not null)
            {
                verified.Add(ok);
            }
            else
            {
                rejected.Add(failed!);
            }
        }

        return new SignatureVerificationResult(verified, rejected);
    }

    private static (VerifiedSignature?, RejectedSignature?) VerifyLayer(
        int index, string imageDigest, SimpleSigning.DockerReference? expected, KeylessPolicy policy, SignatureLayer layer)
    {
        (VerifiedSignature?, RejectedSignature?) Reject(RejectionReason reason, string message) => (null, new RejectedSignature(index, reason, message));

        if (SimpleSigningVerifier.CheckShape(index, layer) is { } malformed)
        {
            return (null, malformed);
        }

        var certificatePem = layer.Annotations.GetValueOrDefault(CertificateAnnotation);
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certificatePem ?? "");
        }
        catch (CryptographicException)
        {
            return Reject(RejectionReason.MissingCertificate, $"no readable '{CertificateAnnotation}' annotation (not a keyless signature)");
        }

        using (leaf)
        {
            var key = leaf.GetECDsaPublicKey();
            if (key is null || !EcdsaSignatures.VerifyBase64(key, layer.Blob, layer.Signature))
            {
                key?.Dispose();
                return Reject(RejectionReason.SignatureInvalid, "the signature does not verify with the certificate's key");
            }

            var bundle = layer.Annotations.GetValueOrDefault(RekorSet.BundleAnnotation);
            if (bundle is null)
            {
                return Reject(RejectionReason.MissingTransparencyProof, $"no '{RekorSet.BundleAnnotation}' annotation: the signing time cannot be trusted");
            }

            var set = RekorSet.Verify(bundle, layer.Blob, layer.Signature!, certificatePem!, policy.Trust.RekorKeys);
            if (!set.IsVerified)
            {
                return Reject(RejectionReason.TransparencyProofInvalid, "Rekor proof: " + set.FailureReason);
            }

            X509Certificate2Collection chain = [];
            if (layer.Annotations.GetValueOrDefault(ChainAnnotation) is { Length: > 0 } chainPem)
            {
                try
                {
                    chain.ImportFromPem(chainPem);
                }
                catch (CryptographicException)
                {
                    return Reject(RejectionReason.CertificateUntrusted, $"the '{ChainAnnotation}' annotation is not PEM certificates");
                }
            }

            var check = FulcioCertificateVerifier.Verify(leaf, [.. chain], policy.Trust, set.IntegratedTime!.Value, policy.Identity, policy.Issuer);
            if (!check.IsVerified)
            {
                return Reject(RejectionReason.CertificateUntrusted, check.FailureReason!);
            }

            return SimpleSigningVerifier.CheckClaims(index, imageDigest, expected, layer, key, check.Identity);
        }
    }
}
