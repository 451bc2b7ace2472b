using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace HarborBridge.Signing.Transparency;

/// <summary>A trusted root file is unusable (not JSON, wrong media type, unreadable keys).</summary>
public sealed class TrustedRootException(string message) : Exception(message);

/// <summary>One transparency log (Rekor) or certificate transparency log key from a trusted root.</summary>
/// <param name="LogId">Hex log ID: SHA-256 of the key's DER SubjectPublicKeyInfo (Rekor v1, CT logs), or for Ed25519 logs
/// (Rekor v2) the signed-note key hash SHA-256(name || 0x0A || 0x01 || key), name = the base URL without scheme.</param>
/// <param name="KeyDetails">The trusted root's key type (<c>PKIX_ECDSA_P256_SHA_256</c>, <c>PKIX_ED25519</c>, RSA PKCS#1 v1.5).</param>
public sealed record TransparencyLogKey(
    string BaseUrl, string LogId, byte[] SubjectPublicKeyInfo, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil, string KeyDetails = TransparencyLogKey.EcdsaP256)
{
    public const string EcdsaP256 = "PKIX_ECDSA_P256_SHA_256";
    public const string Ed25519 = "PKIX_ED25519";

    internal static readonly string[] RsaKeyDetails =
        ["PKCS1_RSA_PKCS1V5", "PKIX_RSA_PKCS1V5", "PKIX_RSA_PKCS1V15_2048_SHA256", "PKIX_RSA_PKCS1V15_3072_SHA256", "PKIX_RSA_PKCS1V15_4096_SHA256"];

    /// <summary>A new <see cref="ECDsa"/> instance for an ECDSA key; the caller disposes it.</summary>
    public ECDsa CreateKey()
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
        return key;
    }

    /// <summary>True when the key was valid at <paramref name="time"/> (both ends of <c>validFor</c> included).</summary>
    public bool CoversTime(DateTimeOffset time) =>
        (ValidFrom is null || time >= ValidFrom) && (ValidUntil is null || time <= ValidUntil);

    /// <summary>Verifies a signature over <paramref name="data"/>: ECDSA (DER, SHA-256), Ed25519 (BouncyCastle) or RSA PKCS#1 v1.5 (SHA-256).</summary>
    public bool VerifySignature(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (KeyDetails == Ed25519)
            {
                var verifier = new Ed25519Signer();
                verifier.Init(false, (Ed25519PublicKeyParameters)PublicKeyFactory.CreateKey(SubjectPublicKeyInfo));
                verifier.BlockUpdate(data);
                return verifier.VerifySignature(signature.ToArray());
            }

            if (RsaKeyDetails.Contains(KeyDetails, StringComparer.Ordinal))
            {
                using var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            }

            using var ecdsa = CreateKey();
            return EcdsaSignatures.Verify(ecdsa, data, signature);
        }
        catch (Exception e) when (e is CryptographicException or InvalidCastException or ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// Reads a Sigstore trusted root (<c>application/vnd.dev.sigstore.trustedroot+json</c>, the file cosign and sigstore-js
/// take as <c>--trusted-root</c>, e.g. for air-gapped sites): Rekor keys (<c>tlogs</c>), CT log keys (<c>ctlogs</c>), Fulcio
/// CAs (<c>certificateAuthorities</c>) and RFC 3161 timestamp authorities (<c>timestampAuthorities</c>). A log ID in the file
/// must match the key. A log key without <c>validFor.start</c> makes the file unusable (a missing bound is never read as
/// "unbounded"); <c>validFor</c> intervals are closed. Keys of other types are skipped.
/// </summary>
public static class SigstoreTrustedRoot
{
    public const string MediaTypePrefix = "application/vnd.dev.sigstore.trustedroot+json";

    /// <summary>The ECDSA P-256 Rekor keys (those that sign SETs and Rekor v1 checkpoints).</summary>
    public static IReadOnlyList<TransparencyLogKey> ReadRekorKeys(ReadOnlySpan<byte> json) =>
        ReadTransparencyLogs(json).Where(k => k.KeyDetails == TransparencyLogKey.EcdsaP256).ToList();

    /// <summary>All usable Rekor keys: ECDSA P-256 (Rekor v1) and Ed25519 (Rekor v2).</summary>
    public static IReadOnlyList<TransparencyLogKey> ReadTransparencyLogs(ReadOnlySpan<byte> json) =>
        Read(json, root => ReadLogs(root, "tlogs", [TransparencyLogKey.EcdsaP256, TransparencyLogKey.Ed25519]));

    /// <summary>The certificate transparency logs whose SCTs Fulcio certificates carry (ECDSA P-256 or RSA).</summary>
    public static IReadOnlyList<TransparencyLogKey> ReadCtLogs(ReadOnlySpan<byte> json) =>
        Read(json, root => ReadLogs(root, "ctlogs", [TransparencyLogKey.EcdsaP256, .. TransparencyLogKey.RsaKeyDetails]));

    /// <summary>The Fulcio certificate authorities (chain: intermediates, then the root last).</summary>
    public static IReadOnlyList<CertificateAuthority> ReadCertificateAuthorities(ReadOnlySpan<byte> json) =>
        Read(json, root => ReadAuthorities(root, "certificateAuthorities"));

    /// <summary>The RFC 3161 timestamp authorities (chain: the TSA's signing certificate, intermediates, the root last).</summary>
    public static IReadOnlyList<CertificateAuthority> ReadTimestampAuthorities(ReadOnlySpan<byte> json) =>
        Read(json, root => ReadAuthorities(root, "timestampAuthorities"));

    private static List<T> Read<T>(ReadOnlySpan<byte> json, Func<JsonElement, List<T>> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var mediaType = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("mediaType", out var m) ? m.GetString() : null;
            if (mediaType is null || !mediaType.StartsWith(MediaTypePrefix, StringComparison.Ordinal))
            {
                throw new TrustedRootException($"the media type '{mediaType}' is not a Sigstore trusted root ({MediaTypePrefix})");
            }

            return read(root);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            throw new TrustedRootException($"the trusted root cannot be read: {e.Message}");
        }
    }

    private static List<TransparencyLogKey> ReadLogs(JsonElement root, string section, string[] keyTypes)
    {
        var keys = new List<TransparencyLogKey>();
        if (!root.TryGetProperty(section, out var logs))
        {
            return keys;
        }

        foreach (var log in logs.EnumerateArray())
        {
            var baseUrl = log.TryGetProperty("baseUrl", out var url) ? url.GetString() ?? "" : "";
            var publicKey = log.GetProperty("publicKey");
            var keyDetails = publicKey.GetProperty("keyDetails").GetString() ?? "";
            if (!keyTypes.Contains(keyDetails, StringComparer.Ordinal))
            {
                continue;
            }

            var spki = SubjectPublicKeyInfo(Convert.FromBase64String(publicKey.GetProperty("rawBytes").GetString() ?? ""), keyDetails);
            var candidates = LogIdCandidates(spki, keyDetails, baseUrl);
            var logId = candidates[0];
            if (log.TryGetProperty("logId", out var declared))
            {
                logId = Convert.ToHexStringLower(Convert.FromBase64String(declared.GetProperty("keyId").GetString() ?? ""));
                if (!candidates.Contains(logId, StringComparer.Ordinal))
                {
                    throw new TrustedRootException($"the log ID of {baseUrl} does not match its key");
                }
            }

            var validFor = publicKey.TryGetProperty("validFor", out var v) ? v : default;
            var start = Time(validFor, "start")
                ?? throw new TrustedRootException($"the {section} key of {baseUrl} has no validFor.start (when it became valid)");
            keys.Add(new TransparencyLogKey(baseUrl, logId, spki, start, Time(validFor, "end"), keyDetails));
        }

        return keys;
    }

    // PKCS1_RSA_PKCS1V5 keys may be stored as a bare PKCS#1 RSAPublicKey; everything else is a SubjectPublicKeyInfo.
    private static byte[] SubjectPublicKeyInfo(byte[] rawBytes, string keyDetails)
    {
        if (!TransparencyLogKey.RsaKeyDetails.Contains(keyDetails, StringComparer.Ordinal))
        {
            return rawBytes;
        }

        using var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(rawBytes, out _);
        }
        catch (CryptographicException)
        {
            rsa.ImportRSAPublicKey(rawBytes, out _);
        }

        return rsa.ExportSubjectPublicKeyInfo();
    }

    // The log IDs a key may carry; the first is the one used when the file names none. Parsing the key also proves it is one.
    private static string[] LogIdCandidates(byte[] spki, string keyDetails, string baseUrl)
    {
        var spkiHash = Convert.ToHexStringLower(SHA256.HashData(spki));
        if (keyDetails == TransparencyLogKey.Ed25519)
        {
            var raw = ((Ed25519PublicKeyParameters)PublicKeyFactory.CreateKey(spki)).GetEncoded();
            var name = baseUrl.Contains("://", StringComparison.Ordinal) ? baseUrl[(baseUrl.IndexOf("://", StringComparison.Ordinal) + 3)..] : baseUrl;
            byte[] noteKey = [.. Encoding.UTF8.GetBytes(name.TrimEnd('/')), (byte)'\n', 0x01, .. raw];
            return [Convert.ToHexStringLower(SHA256.HashData(noteKey)), spkiHash];
        }

        if (TransparencyLogKey.RsaKeyDetails.Contains(keyDetails, StringComparer.Ordinal))
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(spki, out _);
        }
        else
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
        }

        return [spkiHash];
    }

    private static List<CertificateAuthority> ReadAuthorities(JsonElement root, string section)
    {
        var authorities = new List<CertificateAuthority>();
        if (!root.TryGetProperty(section, out var list))
        {
            return authorities;
        }

        foreach (var ca in list.EnumerateArray())
        {
            var chain = ca.GetProperty("certChain").GetProperty("certificates").EnumerateArray()
                .Select(c => X509CertificateLoader.LoadCertificate(Convert.FromBase64String(c.GetProperty("rawBytes").GetString() ?? "")))
                .ToList();
            if (chain.Count == 0)
            {
                continue;
            }

            var uri = ca.TryGetProperty("uri", out var u) ? u.GetString() ?? "" : "";
            var validFor = ca.TryGetProperty("validFor", out var v) ? v : default;
            var start = Time(validFor, "start");
            if (validFor.ValueKind == JsonValueKind.Object && start is null)
            {
                throw new TrustedRootException($"the {section} entry {uri} has a validFor without start");
            }

            authorities.Add(new CertificateAuthority(uri, chain, start, Time(validFor, "end")));
        }

        return authorities;
    }

    internal static DateTimeOffset? Time(JsonElement validFor, string name) =>
        validFor.ValueKind == JsonValueKind.Object && validFor.TryGetProperty(name, out var value) && value.GetString() is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;
}
