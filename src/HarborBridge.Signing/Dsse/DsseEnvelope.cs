using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HarborBridge.Signing.Dsse;

/// <summary>One signature of a DSSE envelope. <paramref name="KeyId"/> is empty for cosign key signatures.</summary>
public sealed record DsseSignature(string KeyId, byte[] Sig);

/// <summary>
/// A DSSE envelope: the signature covers PAE(payloadType, payload), never the JSON or the base64 text.
/// JSON keys follow what cosign v3 writes (<c>payload</c>, <c>payloadType</c>, <c>signatures[{sig, keyid}]</c>);
/// reading goes by name.
/// </summary>
public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures)
{
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    /// <summary>Pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths in ASCII decimal bytes.</summary>
    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        var typeBytes = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"DSSEv1 {typeBytes.Length} "));
        var middle = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $" {payload.Length} "));
        return [.. header, .. typeBytes, .. middle, .. payload];
    }

    public static DsseEnvelope Sign(ECDsa key, string payloadType, byte[] payload) =>
        new(payloadType, payload, [new DsseSignature(string.Empty, EcdsaSignatures.Sign(key, Pae(payloadType, payload)))]);

    /// <summary>True when at least one signature verifies with <paramref name="publicKey"/>.</summary>
    public bool VerifiesWith(ECDsa publicKey)
    {
        var pae = Pae(PayloadType, Payload);
        return Signatures.Any(s => EcdsaSignatures.Verify(publicKey, pae, s.Sig));
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SigningJson.WriterOptions))
        {
            WriteTo(writer);
        }

        return buffer.ToArray();
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("payload", Convert.ToBase64String(Payload));
        writer.WriteString("payloadType", PayloadType);
        writer.WriteStartArray("signatures");
        foreach (var signature in Signatures)
        {
            writer.WriteStartObject();
            writer.WriteString("sig", Convert.ToBase64String(signature.Sig));
            if (signature.KeyId.Length > 0)
            {
                writer.WriteString("keyid", signature.KeyId);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static bool TryParse(ReadOnlySpan<byte> json, out DsseEnvelope envelope)
    {
        envelope = null!;
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            return TryParse(document.RootElement, out envelope);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static bool TryParse(JsonElement root, out DsseEnvelope envelope)
    {
        envelope = null!;
        try
        {
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("payloadType", out var type) || type.ValueKind != JsonValueKind.String ||
                !root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.String ||
                !root.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var parsed = new List<DsseSignature>();
            foreach (var signature in signatures.EnumerateArray())
            {
                if (signature.ValueKind != JsonValueKind.Object ||
                    !signature.TryGetProperty("sig", out var sig) || sig.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                var keyId = signature.TryGetProperty("keyid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : string.Empty;
                parsed.Add(new DsseSignature(keyId, Convert.FromBase64String(sig.GetString()!)));
            }

            envelope = new DsseEnvelope(type.GetString()!, Convert.FromBase64String(payload.GetString()!), parsed);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
