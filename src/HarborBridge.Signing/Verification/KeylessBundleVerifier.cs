using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.SimpleSigning;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>Outcome of verifying a keyless Sigstore bundle.</summary>
/// <param name="Payload">The verified signed content: the in-toto statement (DSSE bundles) or the message (message-signature bundles).</param>
public sealed record KeylessBundleResult(
    bool IsVerified, CertificateIdentity? Signer, DateTimeOffset? SignedAt, string? PredicateType, byte[]? Payload, string? FailureReason)
{
    public static KeylessBundleResult Fail(string reason, CertificateIdentity? signer = null) => new(false, signer, null, null, null, reason);
}

/// <summary>
/// Verifies a keyless Sigstore bundle v0.3 (certificate + Rekor entry): either a DSSE envelope over an in-toto statement
/// (what cosign v3 writes; Rekor kind <c>dsse</c>) or a message signature over a simple-signing payload given by the
/// caller (what HarborBridge writes; Rekor kind <c>hashedrekord</c>). Checks, in order: the signature with the leaf's
/// key; the Rekor entry: SET by a trusted Rekor key valid at the integrated time, logged body = this signature, key and
/// content, and, when present, the inclusion proof (RFC 6962 audit path from the entry to the root hash) and its
/// checkpoint signed by the Rekor key; the certificate (chain, code signing, identity, issuer) at the integrated time;
/// finally that the content is about <c>imageDigest</c>. SCTs are not checked.
/// </summary>
public static class KeylessBundleVerifier
{
    public static KeylessBundleResult Verify(ReadOnlySpan<byte> bundleJson, byte[]? message, string imageDigest, KeylessPolicy policy)
    {
        ImageDigest.Validate(imageDigest);
        ArgumentNullException.ThrowIfNull(policy);
        try
        {
            using var document = JsonDocument.Parse(bundleJson.ToArray());
            return Verify(document.RootElement, message, imageDigest, policy);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            return KeylessBundleResult.Fail("the bundle is not a readable Sigstore bundle (missing or malformed field)");
        }
    }

    private static KeylessBundleResult Verify(JsonElement root, byte[]? message, string imageDigest, KeylessPolicy policy)
    {
        var mediaType = root.GetProperty("mediaType").GetString();
        if (mediaType != CosignMediaTypes.SigstoreBundleV03)
        {
            return KeylessBundleResult.Fail($"bundle media type '{mediaType}' is not '{CosignMediaTypes.SigstoreBundleV03}'");
        }

        var material = root.GetProperty("verificationMaterial");
        if (!material.TryGetProperty("certificate", out var certificate))
        {
            return KeylessBundleResult.Fail("the bundle is not keyless (no verificationMaterial.certificate)");
        }

        using var leaf = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(certificate.GetProperty("rawBytes").GetString() ?? ""));
        using var key = leaf.GetECDsaPublicKey();
        if (key is null)
        {
            return KeylessBundleResult.Fail("the certificate's key is not ECDSA");
        }

        var leafPem = leaf.ExportCertificatePem();
        var entries = material.GetProperty("tlogEntries");
        if (entries.GetArrayLength() == 0)
        {
            return KeylessBundleResult.Fail("the bundle has no transparency log entry: the signing time cannot be trusted");
        }

        string? contentProblem;
        string? predicateType = null;
        byte[] payload;
        string? bodyProblem;
        var entry = entries[0];
        var body = Convert.FromBase64String(entry.GetProperty("canonicalizedBody").GetString() ?? "");
        if (root.TryGetProperty("dsseEnvelope", out var dsse))
        {
            if (!DsseEnvelope.TryParse(dsse, out var envelope) || envelope.Signatures.Count != 1)
            {
                return KeylessBundleResult.Fail("the bundle's DSSE envelope is unreadable or has not exactly one signature");
            }

            if (!envelope.VerifiesWith(key))
            {
                return KeylessBundleResult.Fail("the DSSE signature does not verify with the certificate's key");
            }

            payload = envelope.Payload;
            bodyProblem = CheckDsseEntry(body, envelope, leafPem);
            var statement = SigstoreBundle.CheckStatement(envelope, imageDigest);
            contentProblem = statement.FailureReason;
            predicateType = statement.PredicateType;
        }
        else if (root.TryGetProperty("messageSignature", out var signed))
        {
            if (message is null)
            {
                return KeylessBundleResult.Fail("the bundle signs a message that was not supplied");
            }

            var signature = Convert.FromBase64String(signed.GetProperty("signature").GetString() ?? "");
            var digest = signed.GetProperty("messageDigest");
            if (digest.GetProperty("algorithm").GetString() != "SHA2_256" ||
                !Convert.FromBase64String(digest.GetProperty("digest").GetString() ?? "").AsSpan().SequenceEqual(SHA256.HashData(message)))
            {
                return KeylessBundleResult.Fail("the bundle's message digest is not SHA-256 of the supplied message");
            }

            if (!EcdsaSignatures.Verify(key, message, signature))
            {
                return KeylessBundleResult.Fail("the message signature does not verify with the certificate's key");
            }

            payload = message;
            bodyProblem = Kind(entry) == "hashedrekord"
                ? RekorSet.CheckEntry(body, message, Convert.ToBase64String(signature), leafPem)
                : $"the Rekor entry kind '{Kind(entry)}' does not fit a message signature";
            contentProblem = MessageNamesImage(message, imageDigest);
        }
        else
        {
            return KeylessBundleResult.Fail("the bundle has neither dsseEnvelope nor messageSignature");
        }

        if (bodyProblem is not null)
        {
            return KeylessBundleResult.Fail("Rekor entry: " + bodyProblem);
        }

        var (signedAt, logProblem) = VerifyEntry(entry, body, policy.Trust);
        if (logProblem is not null)
        {
            return KeylessBundleResult.Fail("Rekor entry: " + logProblem);
        }

        var check = FulcioCertificateVerifier.Verify(leaf, [], policy.Trust, signedAt, policy.Identity, policy.Issuer);
        if (!check.IsVerified)
        {
            return KeylessBundleResult.Fail(check.FailureReason!, check.Identity);
        }

        return contentProblem is null
            ? new KeylessBundleResult(true, check.Identity, signedAt, predicateType, payload, null)
            : KeylessBundleResult.Fail(contentProblem, check.Identity);
    }

    private static string? Kind(JsonElement entry) => entry.GetProperty("kindVersion").GetProperty("kind").GetString();

    // SET (inclusion promise) always; inclusion proof and checkpoint when the bundle has them.
    private static (DateTimeOffset SignedAt, string? Problem) VerifyEntry(JsonElement entry, byte[] body, KeylessTrust trust)
    {
        var logIndex = long.Parse(entry.GetProperty("logIndex").GetString() ?? "", NumberStyles.None, CultureInfo.InvariantCulture);
        var integratedTime = long.Parse(entry.GetProperty("integratedTime").GetString() ?? "", NumberStyles.None, CultureInfo.InvariantCulture);
        var logId = Convert.ToHexStringLower(Convert.FromBase64String(entry.GetProperty("logId").GetProperty("keyId").GetString() ?? ""));
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(integratedTime);
        if (!entry.TryGetProperty("inclusionPromise", out var promise))
        {
            return (signedAt, "no inclusion promise (signed entry timestamp): the integrated time cannot be trusted");
        }

        var keys = trust.RekorKeys.Select(k => k.CreateKey()).ToList();
        try
        {
            var set = Convert.FromBase64String(promise.GetProperty("signedEntryTimestamp").GetString() ?? "");
            var problem = RekorSet.VerifySet(set, Convert.ToBase64String(body), integratedTime, logId, logIndex, keys)
                          ?? RekorSet.KeyValidity(trust.RekorKeys, logId, signedAt);
            if (problem is not null || !entry.TryGetProperty("inclusionProof", out var proof))
            {
                return (signedAt, problem);
            }

            var rootHash = Convert.FromBase64String(proof.GetProperty("rootHash").GetString() ?? "");
            var treeSize = long.Parse(proof.GetProperty("treeSize").GetString() ?? "", NumberStyles.None, CultureInfo.InvariantCulture);
            var index = long.Parse(proof.GetProperty("logIndex").GetString() ?? "", NumberStyles.None, CultureInfo.InvariantCulture);
            var hashes = proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString() ?? "")).ToList();
            if (!MerkleInclusion.Verify(MerkleInclusion.LeafHash(body), index, treeSize, hashes, rootHash))
            {
                return (signedAt, "the inclusion proof does not lead from the entry to the root hash");
            }

            return proof.TryGetProperty("checkpoint", out var checkpoint)
                ? (signedAt, MerkleInclusion.VerifyCheckpoint(checkpoint.GetProperty("envelope").GetString() ?? "", treeSize, rootHash, trust.RekorKeys))
                : (signedAt, null);
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    // A dsse v0.0.1 entry as Rekor stores it: payloadHash = SHA-256 of the payload, one signature with the certificate as verifier.
    private static string? CheckDsseEntry(byte[] body, DsseEnvelope envelope, string leafPem)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("kind").GetString() != "dsse" || root.GetProperty("apiVersion").GetString() != "0.0.1")
        {
            return "the logged entry is not a dsse v0.0.1";
        }

        var spec = root.GetProperty("spec");
        var payloadHash = spec.GetProperty("payloadHash");
        if (payloadHash.GetProperty("algorithm").GetString() != "sha256" ||
            payloadHash.GetProperty("value").GetString() != Convert.ToHexStringLower(SHA256.HashData(envelope.Payload)))
        {
            return "the logged entry names another payload";
        }

        var signatures = spec.GetProperty("signatures");
        if (signatures.GetArrayLength() != 1)
        {
            return "the logged entry has another number of signatures";
        }

        var logged = signatures[0];
        if (!Convert.FromBase64String(logged.GetProperty("signature").GetString() ?? "").AsSpan().SequenceEqual(envelope.Signatures[0].Sig))
        {
            return "the logged entry names another signature";
        }

        var verifier = Encoding.UTF8.GetString(Convert.FromBase64String(logged.GetProperty("verifier").GetString() ?? ""));
        using var loggedCertificate = X509Certificate2.CreateFromPem(verifier);
        using var ours = X509Certificate2.CreateFromPem(leafPem);
        return loggedCertificate.RawData.AsSpan().SequenceEqual(ours.RawData) ? null : "the logged entry names another certificate";
    }

    private static string? MessageNamesImage(byte[] message, string imageDigest)
    {
        try
        {
            var payload = SimpleSigningPayload.Parse(message);
            return payload.ManifestDigest == imageDigest ? null : $"the signed payload is for {payload.ManifestDigest}, not for {imageDigest}";
        }
        catch (SimpleSigningPayloadException e)
        {
            return "the signed message is not a simple-signing payload: " + e.Message;
        }
    }
}
