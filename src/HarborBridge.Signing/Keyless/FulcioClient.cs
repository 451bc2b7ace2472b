using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HarborBridge.Signing.Keys;
using Microsoft.Extensions.Logging;

namespace HarborBridge.Signing.Keyless;

/// <summary>A Fulcio answer: the leaf certificate for the ephemeral key, then its issuers (intermediates, root), as PEM.</summary>
public sealed record FulcioCertificate(string LeafPem, IReadOnlyList<string> ChainPem)
{
    /// <summary>The leaf as DER, what bundles carry in <c>certificate.rawBytes</c>.</summary>
    public byte[] LeafDer() => PemDer(LeafPem);

    internal static byte[] PemDer(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}

/// <summary>
/// Fulcio v2 client: <c>POST {url}/api/v2/signingCert</c> with the identity token in the body, the public key as PEM
/// and the proof of possession (ECDSA/SHA-256, DER, over the token's e-mail or <c>sub</c>). Accepts 200 (Fulcio) and
/// 201 (the npm mock); checks that the returned leaf certifies our key.
/// </summary>
public sealed class FulcioClient(IHttpClientFactory httpClients, ILogger<FulcioClient> logger)
{
    public const string HttpClientName = "HarborBridge.Fulcio";

    public async Task<FulcioCertificate> RequestCertificateAsync(
        string fulcioUrl, OidcIdentityToken token, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(key);
        var url = SigstoreEndpoints.Resolve(fulcioUrl, "/api/v2/signingCert", "Fulcio");
        var proof = EcdsaSignatures.Sign(key, Encoding.UTF8.GetBytes(token.ProofSubject));
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            credentials = new { oidcIdentityToken = token.Raw },
            publicKeyRequest = new
            {
                publicKey = new { algorithm = "ECDSA", content = SigningKeyFiles.WritePublicKey(key) },
                proofOfPossession = Convert.ToBase64String(proof),
            },
        }, SigningJson.Options);

        logger.LogInformation("Requesting a signing certificate from {FulcioUrl} for {Issuer} {Subject}",
            SigstoreEndpoints.ForLog(url), token.Issuer, token.Subject);
        using var client = httpClients.CreateClient(HttpClientName);
        var answer = await SigstoreEndpoints.PostJsonAsync(client, url, body, "Fulcio", "refused the certificate request", cancellationToken).ConfigureAwait(false);
        var certificate = ReadChain(answer, SigstoreEndpoints.ForLog(url));
        CheckLeafKey(certificate, key);
        return certificate;
    }

    /// <summary>Reads <c>signedCertificateEmbeddedSct.chain.certificates</c> (or the detached-SCT variant).</summary>
    internal static FulcioCertificate ReadChain(byte[] answer, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            var root = document.RootElement;
            JsonElement signed = default;
            var found = root.ValueKind == JsonValueKind.Object
                && (root.TryGetProperty("signedCertificateEmbeddedSct", out signed) || root.TryGetProperty("signedCertificateDetachedSct", out signed));
            if (!found
                || !signed.TryGetProperty("chain", out var chain)
                || !chain.TryGetProperty("certificates", out var certificates)
                || certificates.ValueKind != JsonValueKind.Array
                || certificates.GetArrayLength() == 0)
            {
                throw new KeylessException($"Fulcio at {source} answered without a certificate chain.");
            }

            var pems = certificates.EnumerateArray().Select(c => c.GetString() ?? "").ToList();
            if (pems.Any(p => !PemEncoding.TryFind(p, out _)))
            {
                throw new KeylessException($"Fulcio at {source} answered with a certificate that is not PEM.");
            }

            return new FulcioCertificate(pems[0], pems.Skip(1).ToList());
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new KeylessException($"Fulcio at {source} answered with something that is not its JSON.", ex);
        }
    }

    private static void CheckLeafKey(FulcioCertificate certificate, ECDsa key)
    {
        try
        {
            using var leaf = X509Certificate2.CreateFromPem(certificate.LeafPem);
            using var certified = leaf.GetECDsaPublicKey();
            if (certified is null || !certified.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new KeylessException("Fulcio returned a certificate for another public key than the one we sent.");
            }
        }
        catch (CryptographicException ex)
        {
            throw new KeylessException("Fulcio returned a certificate that cannot be read.", ex);
        }
    }
}
