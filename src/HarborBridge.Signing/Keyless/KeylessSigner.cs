using System.Security.Cryptography;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.SimpleSigning;

namespace HarborBridge.Signing.Keyless;

/// <summary>Where keyless signing gets its identity and which Sigstore services it uses.</summary>
/// <param name="IdentityTokenFile">File holding the OIDC token (re-read for every signature: projected tokens rotate).</param>
public sealed record KeylessSettings(string IdentityTokenFile, string FulcioUrl, string RekorUrl);

/// <summary>A keyless signature of an image: the signed simple-signing payload, the signature, the Fulcio
/// certificate chain, the Rekor entry, and the Sigstore bundle v0.3 (JSON) that carries all of it.</summary>
public sealed record KeylessSignature(
    byte[] Payload,
    byte[] Signature,
    FulcioCertificate Certificate,
    RekorEntry RekorEntry,
    byte[] Bundle);

/// <summary>
/// Signs an image digest keyless: a fresh ECDSA P-256 key that exists only for this call, a Fulcio certificate for
/// it bound to the OIDC identity, the signature over the image's simple-signing payload, a <c>hashedrekord</c> entry
/// in Rekor, and a Sigstore bundle v0.3 with the certificate and the Rekor entry (message-signature content).
/// </summary>
public sealed class KeylessSigner(FulcioClient fulcio, RekorClient rekor)
{
    public async Task<KeylessSignature> SignImageAsync(
        KeylessSettings settings, string dockerReference, string imageDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ImageDigest.Validate(imageDigest);
        var token = await OidcIdentityToken.ReadFileAsync(settings.IdentityTokenFile, cancellationToken).ConfigureAwait(false);
        using var key = SigningKeyFiles.Generate();
        var certificate = await fulcio.RequestCertificateAsync(settings.FulcioUrl, token, key, cancellationToken).ConfigureAwait(false);

        var payload = SimpleSigningPayload.Create(dockerReference, imageDigest);
        var digest = SHA256.HashData(payload);
        var signature = EcdsaSignatures.Sign(key, payload);
        var entry = await rekor.LogHashedRekordAsync(settings.RekorUrl, digest, signature, certificate.LeafPem, cancellationToken)
            .ConfigureAwait(false);

        var bundle = KeylessBundle.Create(certificate.LeafDer(), digest, signature, entry);
        return new KeylessSignature(payload, signature, certificate, entry, bundle);
    }
}
