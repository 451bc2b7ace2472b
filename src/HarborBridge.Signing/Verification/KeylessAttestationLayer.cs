using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>
/// Verifies a keyless attestation in cosign's legacy <c>.att</c> layout (cosign v1/v2 <c>attest</c> without a key): the
/// layer blob is the DSSE envelope, <c>dev.sigstore.cosign/certificate</c> the Fulcio leaf (PEM), <c>dev.sigstore.cosign/chain</c>
/// its issuers, <c>dev.sigstore.cosign/bundle</c> the Rekor entry with its SET. These are exactly the parts of a Sigstore
/// bundle v0.1 (a SET, no inclusion proof), so the layer is read as one and checked by <see cref="KeylessBundleVerifier"/>:
/// the same Fulcio, Rekor and identity checks as a keyless bundle referrer.
/// </summary>
public static class KeylessAttestationLayer
{
    public static KeylessBundleResult Verify(SignatureLayer layer, string imageDigest, KeylessPolicy policy, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var (bundle, problem) = ToBundle(layer);
        return bundle is null ? KeylessBundleResult.Fail(problem!) : KeylessBundleVerifier.Verify(bundle, null, imageDigest, policy, time);
    }

    /// <summary>The layer as a bundle v0.1, or why it cannot be one.</summary>
    public static (SigstoreBundleDocument? Bundle, string? Problem) ToBundle(SignatureLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.MediaType != CosignMediaTypes.DsseEnvelope || !DsseEnvelope.TryParse(layer.Blob, out var envelope) || envelope.Signatures.Count != 1)
        {
            return (null, "the layer is not a DSSE envelope with exactly one signature");
        }

        if (layer.Annotations.GetValueOrDefault(KeylessSignatureVerifier.CertificateAnnotation) is not { Length: > 0 } leafPem)
        {
            return (null, $"no '{KeylessSignatureVerifier.CertificateAnnotation}' annotation");
        }

        if (layer.Annotations.GetValueOrDefault(RekorSet.BundleAnnotation) is not { Length: > 0 } rekor)
        {
            return (null, $"no '{RekorSet.BundleAnnotation}' annotation: without the Rekor entry the signing time cannot be trusted");
        }

        try
        {
            var certificates = new List<X509Certificate2> { X509Certificate2.CreateFromPem(leafPem) };
            var chain = new X509Certificate2Collection();
            if (layer.Annotations.GetValueOrDefault(KeylessSignatureVerifier.ChainAnnotation) is { Length: > 0 } chainPem)
            {
                chain.ImportFromPem(chainPem);
            }

            // A bundle carries intermediates only: the root comes from the trusted root, never from the signature.
            certificates.AddRange(chain.Where(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData) is false));
            return (new SigstoreBundleDocument("application/vnd.dev.sigstore.bundle+json;version=0.1", 1, false, null, certificates,
                [ReadEntry(rekor)], [], null, envelope), null);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException
                                      or System.Security.Cryptography.CryptographicException)
        {
            return (null, $"unreadable certificate or '{RekorSet.BundleAnnotation}' annotation: {e.Message}");
        }
    }

    // {"SignedEntryTimestamp":"<b64>","Payload":{"body":"<b64>","integratedTime":N,"logIndex":N,"logID":"<hex>"}} (cosign's
    // pkg/cosign/bundle/rekor.go); the entry's kind and version are those of the logged body.
    private static TlogEntry ReadEntry(string annotation)
    {
        using var document = JsonDocument.Parse(annotation);
        var root = document.RootElement;
        var payload = root.GetProperty("Payload");
        var body = Convert.FromBase64String(payload.GetProperty("body").GetString() ?? "");
        using var logged = JsonDocument.Parse(body);
        return new TlogEntry(
            payload.GetProperty("logIndex").GetInt64(),
            (payload.GetProperty("logID").GetString() ?? "").ToLowerInvariant(),
            logged.RootElement.GetProperty("kind").GetString() ?? "",
            logged.RootElement.GetProperty("apiVersion").GetString() ?? "",
            payload.GetProperty("integratedTime").GetInt64(),
            Convert.FromBase64String(root.GetProperty("SignedEntryTimestamp").GetString() ?? ""),
            null,
            body);
    }
}
