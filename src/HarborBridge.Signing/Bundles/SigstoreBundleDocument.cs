using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Bundles;

/// <summary>A Sigstore bundle that cannot be read (not JSON, unknown version, missing or malformed field).</summary>
public sealed class BundleFormatException(string message) : Exception(message);

/// <summary>An inclusion proof of a transparency log entry: RFC 6962 audit path to <paramref name="RootHash"/>, and the signed checkpoint.</summary>
public sealed record InclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string? Checkpoint);

/// <summary>One <c>tlogEntries</c> item. <paramref name="IntegratedTime"/> is 0 for Rekor v2 entries, which have none.</summary>
public sealed record TlogEntry(
    long LogIndex, string LogIdHex, string Kind, string Version, long IntegratedTime, byte[]? SignedEntryTimestamp, InclusionProof? Proof, byte[] Body)
{
    public string BodyBase64 => Convert.ToBase64String(Body);
}

/// <summary>The <c>messageSignature</c> of a bundle: the signature over the artifact, and the artifact's digest as a hint.</summary>
public sealed record MessageSignature(string? DigestAlgorithm, byte[]? Digest, byte[] Signature);

/// <summary>
/// A Sigstore bundle as read from JSON (protobuf JSON: 64-bit numbers as strings, bytes as base64, default values
/// left out). Versions 0.1–0.3 under both media type spellings: <c>application/vnd.dev.sigstore.bundle+json;version=0.N</c>
/// (cosign 2.x, sigstore-python, sigstore-js) and <c>application/vnd.dev.sigstore.bundle.v0.3+json</c>.
/// Verification material: <c>publicKey</c> (managed key, with an optional hint), <c>x509CertificateChain</c> (v0.1/v0.2;
/// the leaf first) or <c>certificate</c> (v0.3, the leaf alone). Content: <c>messageSignature</c> or <c>dsseEnvelope</c>.
/// </summary>
public sealed record SigstoreBundleDocument(
    string MediaType,
    int MinorVersion,
    bool IsKeyBased,
    string? PublicKeyHint,
    IReadOnlyList<X509Certificate2> Certificates,
    IReadOnlyList<TlogEntry> TlogEntries,
    IReadOnlyList<byte[]> SignedTimestamps,
    MessageSignature? Message,
    DsseEnvelope? Envelope)
{
    /// <summary>The signature bytes that timestamps are over: the message signature or the envelope's one signature.</summary>
    public byte[] SignatureBytes => Message?.Signature ?? Envelope!.Signatures[0].Sig;

    /// <summary>Parses a bundle; a <see cref="BundleFormatException"/> names what is wrong.</summary>
    public static SigstoreBundleDocument Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new BundleFormatException($"the bundle is not valid JSON ({e.Message})");
        }

        using (document)
        {
            try
            {
                return Parse(document.RootElement);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
            {
                throw new BundleFormatException($"the bundle lacks a required field or has one of the wrong type ({e.Message})");
            }
            catch (CryptographicException e)
            {
                throw new BundleFormatException($"the bundle's certificate cannot be read ({e.Message})");
            }
        }
    }

    /// <summary>The minor version of a bundle media type (1–3), or null when it is not a supported one.</summary>
    public static int? VersionOf(string? mediaType) => mediaType switch
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => 1,
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => 2,
        "application/vnd.dev.sigstore.bundle+json;version=0.3" => 3,
        CosignMediaTypes.SigstoreBundleV03 => 3,
        _ => null,
    };

    private static SigstoreBundleDocument Parse(JsonElement root)
    {
        var mediaType = root.GetProperty("mediaType").GetString();
        var version = VersionOf(mediaType) ?? throw new BundleFormatException($"unsupported bundle media type or version '{mediaType}'");
        var material = root.GetProperty("verificationMaterial");
        var keyBased = material.TryGetProperty("publicKey", out var publicKey);
        var hint = keyBased && publicKey.TryGetProperty("hint", out var h) ? h.GetString() : null;
        var certificates = new List<X509Certificate2>();
        if (material.TryGetProperty("certificate", out var certificate))
        {
            certificates.Add(Certificate(certificate));
        }
        else if (material.TryGetProperty("x509CertificateChain", out var chain))
        {
            certificates.AddRange(chain.TryGetProperty("certificates", out var list) ? list.EnumerateArray().Select(Certificate) : []);
            if (certificates.Count == 0)
            {
                throw new BundleFormatException("the bundle's certificate chain is empty");
            }
        }
        else if (!keyBased)
        {
            throw new BundleFormatException("the bundle has neither a public key, a certificate nor a certificate chain");
        }

        var entries = material.TryGetProperty("tlogEntries", out var tlog) ? tlog.EnumerateArray().Select(ReadEntry).ToList() : [];
        var timestamps = material.TryGetProperty("timestampVerificationData", out var tsData) && tsData.TryGetProperty("rfc3161Timestamps", out var list2)
            ? list2.EnumerateArray().Select(t => Bytes(t, "signedTimestamp")).ToList()
            : [];

        MessageSignature? message = null;
        DsseEnvelope? envelope = null;
        if (root.TryGetProperty("messageSignature", out var signed))
        {
            var digest = signed.TryGetProperty("messageDigest", out var d) ? d : default;
            message = new MessageSignature(
                digest.ValueKind == JsonValueKind.Object && digest.TryGetProperty("algorithm", out var a) ? a.GetString() : null,
                digest.ValueKind == JsonValueKind.Object ? Bytes(digest, "digest") : null,
                Bytes(signed, "signature"));
        }
        else if (root.TryGetProperty("dsseEnvelope", out var dsse))
        {
            if (!DsseEnvelope.TryParse(dsse, out var parsed))
            {
                throw new BundleFormatException("the bundle's DSSE envelope is malformed");
            }

            if (parsed.Signatures.Count != 1)
            {
                throw new BundleFormatException($"the bundle's DSSE envelope has {parsed.Signatures.Count} signatures, not exactly one");
            }

            envelope = parsed;
        }
        else
        {
            throw new BundleFormatException("the bundle has neither messageSignature nor dsseEnvelope");
        }

        return new SigstoreBundleDocument(mediaType!, version, keyBased, hint, certificates, entries, timestamps, message, envelope);
    }

    private static TlogEntry ReadEntry(JsonElement entry)
    {
        var logIndex = Int64(entry, "logIndex");
        var kindVersion = entry.GetProperty("kindVersion");
        var promise = entry.TryGetProperty("inclusionPromise", out var p) ? Bytes(p, "signedEntryTimestamp") : null;
        InclusionProof? proof = null;
        if (entry.TryGetProperty("inclusionProof", out var inclusion))
        {
            proof = new InclusionProof(
                Int64(inclusion, "logIndex"),
                Bytes(inclusion, "rootHash"),
                Int64(inclusion, "treeSize"),
                inclusion.TryGetProperty("hashes", out var hashes) ? hashes.EnumerateArray().Select(Base64).ToList() : [],
                inclusion.TryGetProperty("checkpoint", out var checkpoint) ? checkpoint.GetProperty("envelope").GetString() : null);
        }

        return new TlogEntry(
            logIndex,
            Convert.ToHexStringLower(Bytes(entry.GetProperty("logId"), "keyId")),
            kindVersion.GetProperty("kind").GetString() ?? "",
            kindVersion.GetProperty("version").GetString() ?? "",
            Int64(entry, "integratedTime"),
            promise,
            proof,
            Bytes(entry, "canonicalizedBody"));
    }

    private static X509Certificate2 Certificate(JsonElement element) => X509CertificateLoader.LoadCertificate(Bytes(element, "rawBytes"));

    // Protobuf JSON: absent = 0; int64 as a string (or a number); a negative index or time is refused.
    private static long Int64(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return 0;
        }

        var number = value.ValueKind == JsonValueKind.Number
            ? value.GetInt64()
            : long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new BundleFormatException($"{name} '{value.GetString()}' is not an integer");
        return number >= 0 ? number : throw new BundleFormatException($"{name} is negative ({number})");
    }

    private static byte[] Bytes(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) ? Base64(value) : [];

    private static byte[] Base64(JsonElement value)
    {
        var text = value.GetString() ?? "";
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new BundleFormatException($"'{(text.Length > 40 ? text[..40] + "…" : text)}' is not base64");
        }
    }
}
