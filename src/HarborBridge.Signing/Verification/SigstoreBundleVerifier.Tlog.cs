using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>The transparency-log side of a bundle: each entry's signed entry timestamp, inclusion proof and checkpoint,
/// and that the logged body (hashedrekord, dsse or intoto) is exactly this bundle's signature and signer.</summary>
public static partial class SigstoreBundleVerifier
{
    // SET, integrated time, inclusion proof and checkpoint of one entry; a SET-proved integrated time is added to times.
    private static string? VerifyEntry(
        TlogEntry entry, SigstoreBundleDocument bundle, KeylessTrust trust, DateTimeOffset now, List<SigningTime> times, List<TransparencyLogKey> rekorV2)
    {
        if (bundle.MinorVersion >= 2 && entry.Proof is null)
        {
            return $"a v0.{bundle.MinorVersion} bundle needs an inclusion proof";
        }

        if (bundle.MinorVersion == 1 && entry.SignedEntryTimestamp is null)
        {
            return "a v0.1 bundle needs an inclusion promise (SET)";
        }

        var log = trust.TransparencyLogs.FirstOrDefault(k => k.LogId == entry.LogIdHex);
        if (log is null)
        {
            return $"no trusted Rekor key has the log ID {entry.LogIdHex} (a bundle from another Sigstore instance?)";
        }

        if (entry.SignedEntryTimestamp is { } set)
        {
            var integrated = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime);
            using var rekorKey = log.KeyDetails == TransparencyLogKey.EcdsaP256 ? log.CreateKey() : null;
            var problem = rekorKey is null
                ? "the SET's log key is not an ECDSA key"
                : RekorSet.VerifySet(set, entry.BodyBase64, entry.IntegratedTime, entry.LogIdHex, entry.LogIndex, [rekorKey])
                  ?? RekorSet.KeyValidity(trust.TransparencyLogs, entry.LogIdHex, integrated)
                  ?? (integrated > now + ClockSkew ? $"the integrated time {integrated:u} is in the future" : null);
            if (problem is not null)
            {
                return problem;
            }

            times.Add(new SigningTime(integrated, "Rekor integrated time"));
        }
        else if (entry.IntegratedTime == 0)
        {
            rekorV2.Add(log);
        }

        if (entry.Proof is not { } proof)
        {
            return null;
        }

        if (!MerkleInclusion.Verify(MerkleInclusion.LeafHash(entry.Body), proof.LogIndex, proof.TreeSize, proof.Hashes, proof.RootHash))
        {
            return "the inclusion proof does not lead from the entry to the root hash";
        }

        return proof.Checkpoint is null
            ? "the inclusion proof has no checkpoint"
            : MerkleInclusion.VerifyCheckpoint(proof.Checkpoint, proof.TreeSize, proof.RootHash, trust.TransparencyLogs);
    }

    // The logged body must be exactly this signature: kind and version as declared, the content's hash, the same
    // signature bytes, the same certificate (or public key).
    private static string? CheckEntryBody(TlogEntry entry, SigstoreBundleDocument bundle, byte[] signedDigest, byte[] signerDer)
    {
        try
        {
            using var document = JsonDocument.Parse(entry.Body);
            var root = document.RootElement;
            if (root.GetProperty("kind").GetString() != entry.Kind || root.GetProperty("apiVersion").GetString() != entry.Version)
            {
                return $"the logged body is not the declared {entry.Kind} {entry.Version}";
            }

            var spec = root.GetProperty("spec");
            return (entry.Kind, entry.Version) switch
            {
                ("hashedrekord", "0.0.1") when bundle.Message is not null => HashedRekordV001(spec, signedDigest, bundle.SignatureBytes, signerDer),
                ("hashedrekord", "0.0.2") => HashedRekordV002(spec.GetProperty("hashedRekordV002"), signedDigest, bundle.SignatureBytes, signerDer,
                    bundle.Message is null ? "DSSE envelope" : "artifact"),
                ("dsse", "0.0.1") when bundle.Envelope is not null => DsseV001(spec, bundle.Envelope, signerDer),
                ("intoto", "0.0.2") when bundle.Envelope is not null => IntotoV002(spec.GetProperty("content"), bundle.Envelope, signerDer),
                _ => $"a {entry.Kind} {entry.Version} entry does not fit a {(bundle.Message is null ? "DSSE" : "message signature")} bundle",
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return "the logged body is malformed";
        }
    }

    private static string? HashedRekordV001(JsonElement spec, byte[] digest, byte[] signature, byte[] signerDer)
    {
        var hash = spec.GetProperty("data").GetProperty("hash");
        if (hash.GetProperty("algorithm").GetString() != "sha256" || hash.GetProperty("value").GetString() != Convert.ToHexStringLower(digest))
        {
            return "the logged entry is for another artifact";
        }

        var logged = spec.GetProperty("signature");
        return Same(logged.GetProperty("content"), signature)
            ? SamePem(logged.GetProperty("publicKey").GetProperty("content"), signerDer)
            : "the logged entry holds another signature";
    }

    // Rekor v2 logs a DSSE envelope as a hashedrekord over SHA-256 of its PAE.
    private static string? HashedRekordV002(JsonElement spec, byte[] digest, byte[] signature, byte[] signerDer, string content)
    {
        var data = spec.GetProperty("data");
        if (data.GetProperty("algorithm").GetString() != "SHA2_256" || !Same(data.GetProperty("digest"), digest))
        {
            return $"the logged entry is for another {content}";
        }

        var logged = spec.GetProperty("signature");
        if (!Same(logged.GetProperty("content"), signature))
        {
            return "the logged entry holds another signature";
        }

        var verifier = logged.GetProperty("verifier");
        var material = verifier.TryGetProperty("x509Certificate", out var certificate) ? certificate : verifier.GetProperty("publicKey");
        return Same(material.GetProperty("rawBytes"), signerDer) ? null : "the logged entry names another certificate or key";
    }

    private static string? DsseV001(JsonElement spec, DsseEnvelope envelope, byte[] signerDer)
    {
        if (!SameSha256(spec.GetProperty("payloadHash"), envelope.Payload))
        {
            return "the logged entry is for another DSSE payload";
        }

        var signatures = spec.GetProperty("signatures");
        if (signatures.GetArrayLength() != 1 || !Same(signatures[0].GetProperty("signature"), envelope.Signatures[0].Sig))
        {
            return "the logged entry holds another DSSE signature";
        }

        return SamePem(signatures[0].GetProperty("verifier"), signerDer);
    }

    // intoto 0.0.2 stores the envelope with its signature base64-encoded twice.
    private static string? IntotoV002(JsonElement content, DsseEnvelope envelope, byte[] signerDer)
    {
        if (!SameSha256(content.GetProperty("payloadHash"), envelope.Payload))
        {
            return "the logged entry is for another DSSE payload";
        }

        var signatures = content.GetProperty("envelope").GetProperty("signatures");
        if (signatures.GetArrayLength() != 1)
        {
            return "the logged entry holds another number of DSSE signatures";
        }

        var sig = Convert.FromBase64String(signatures[0].GetProperty("sig").GetString() ?? "");
        var inner = new byte[sig.Length];
        if (Convert.TryFromBase64String(Encoding.Latin1.GetString(sig), inner, out var written))
        {
            sig = inner[..written];
        }

        return sig.AsSpan().SequenceEqual(envelope.Signatures[0].Sig)
            ? SamePem(signatures[0].GetProperty("publicKey"), signerDer)
            : "the logged entry holds another DSSE signature";
    }

    private static bool Same(JsonElement base64, byte[] expected) =>
        Convert.FromBase64String(base64.GetString() ?? "").AsSpan().SequenceEqual(expected);

    private static bool SameSha256(JsonElement hash, byte[] content) =>
        hash.GetProperty("algorithm").GetString() == "sha256" && hash.GetProperty("value").GetString() == Convert.ToHexStringLower(SHA256.HashData(content));

    // base64 of a PEM certificate or public key whose DER must be the signer's.
    private static string? SamePem(JsonElement base64Pem, byte[] signerDer)
    {
        var pem = Encoding.UTF8.GetString(Convert.FromBase64String(base64Pem.GetString() ?? ""));
        return PemEncoding.TryFind(pem, out var fields) && Convert.FromBase64String(pem[fields.Base64Data]).AsSpan().SequenceEqual(signerDer)
            ? null
            : "the logged entry names another certificate or key";
    }
}
