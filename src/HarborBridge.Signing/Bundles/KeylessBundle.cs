using System.Globalization;
using System.Text.Json;
using HarborBridge.Signing.Keyless;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Bundles;

/// <summary>
/// Sigstore bundle v0.3 for a keyless message signature: <c>verificationMaterial.certificate.rawBytes</c> = the
/// Fulcio leaf (DER), one <c>tlogEntries</c> item for the <c>hashedrekord</c> v0.0.1 entry (inclusion promise = SET,
/// inclusion proof when Rekor returned one, canonicalized body), and <c>messageSignature</c> (SHA2_256 digest of
/// the signed bytes, DER signature). 64-bit numbers are JSON strings and bytes base64, as protobuf JSON has them.
/// </summary>
public static class KeylessBundle
{
    public static byte[] Create(byte[] leafCertificateDer, byte[] messageSha256, byte[] signature, RekorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SigningJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("mediaType", CosignMediaTypes.SigstoreBundleV03);
            writer.WriteStartObject("verificationMaterial");
            writer.WriteStartObject("certificate");
            writer.WriteBase64String("rawBytes", leafCertificateDer);
            writer.WriteEndObject();
            writer.WriteStartArray("tlogEntries");
            WriteTlogEntry(writer, entry);
            writer.WriteEndArray();
            writer.WriteStartObject("timestampVerificationData");
            writer.WriteStartArray("rfc3161Timestamps");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartObject("messageSignature");
            writer.WriteStartObject("messageDigest");
            writer.WriteString("algorithm", "SHA2_256");
            writer.WriteBase64String("digest", messageSha256);
            writer.WriteEndObject();
            writer.WriteBase64String("signature", signature);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteTlogEntry(Utf8JsonWriter writer, RekorEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("logIndex", Number(entry.LogIndex));
        writer.WriteStartObject("logId");
        writer.WriteBase64String("keyId", Convert.FromHexString(entry.LogIdHex));
        writer.WriteEndObject();
        writer.WriteStartObject("kindVersion");
        writer.WriteString("kind", "hashedrekord");
        writer.WriteString("version", "0.0.1");
        writer.WriteEndObject();
        writer.WriteString("integratedTime", Number(entry.IntegratedTime));
        writer.WriteStartObject("inclusionPromise");
        writer.WriteString("signedEntryTimestamp", entry.SignedEntryTimestamp);
        writer.WriteEndObject();
        if (entry.InclusionProof is { } proof)
        {
            writer.WriteStartObject("inclusionProof");
            writer.WriteString("logIndex", Number(proof.LogIndex));
            writer.WriteBase64String("rootHash", Convert.FromHexString(proof.RootHashHex));
            writer.WriteString("treeSize", Number(proof.TreeSize));
            writer.WriteStartArray("hashes");
            foreach (var hash in proof.HashesHex)
            {
                writer.WriteBase64StringValue(Convert.FromHexString(hash));
            }

            writer.WriteEndArray();
            writer.WriteStartObject("checkpoint");
            writer.WriteString("envelope", proof.Checkpoint);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteString("canonicalizedBody", entry.BodyBase64);
        writer.WriteEndObject();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
