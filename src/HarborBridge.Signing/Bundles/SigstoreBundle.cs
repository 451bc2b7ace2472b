using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Oci;

namespace HarborBridge.Signing.Bundles;

/// <summary>Outcome of verifying a Sigstore bundle.</summary>
public sealed record BundleVerificationResult(bool IsVerified, string? PredicateType, byte[]? Statement, string? FailureReason)
{
    public static BundleVerificationResult Fail(string reason) => new(false, null, null, reason);
}

/// <summary>
/// Sigstore bundle v0.3 with a public key (no certificate, no transparency log): what <c>cosign sign --key</c>
/// v3 writes with <c>--tlog-upload=false</c>. The content is a DSSE envelope over an in-toto statement.
/// </summary>
public static class SigstoreBundle
{
    /// <summary>Creates the bundle JSON for a signed envelope. <c>publicKey.hint</c> is base64(SHA-256(SPKI DER)), as cosign sets it.</summary>
    public static byte[] Create(DsseEnvelope envelope, ECDsa publicKey)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SigningJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("mediaType", CosignMediaTypes.SigstoreBundleV03);
            writer.WriteStartObject("verificationMaterial");
            writer.WriteStartObject("publicKey");
            writer.WriteString("hint", SigningKeyFiles.PublicKeyHint(publicKey));
            writer.WriteEndObject();
            writer.WriteStartArray("tlogEntries");
            writer.WriteEndArray();
            writer.WriteStartObject("timestampVerificationData");
            writer.WriteStartArray("rfc3161Timestamps");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WritePropertyName("dsseEnvelope");
            envelope.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Verifies a key-based bundle: media type v0.3, the key hint (when present) names one of the trusted keys,
    /// the DSSE signature verifies over PAE, the payload is an in-toto statement and one of its subjects is
    /// <paramref name="imageDigest"/> (the binding that <c>@sigstore/verify</c> leaves to the caller).
    /// Transparency-log entries and timestamps are not checked here.
    /// </summary>
    public static BundleVerificationResult Verify(ReadOnlySpan<byte> bundleJson, string imageDigest, IReadOnlyList<ECDsa> trustedKeys)
    {
        ImageDigest.Validate(imageDigest);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(bundleJson) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            return BundleVerificationResult.Fail("the bundle is not valid JSON");
        }

        string? mediaType;
        string? hint;
        try
        {
            mediaType = root["mediaType"]?.GetValue<string>();
            hint = root["verificationMaterial"]?["publicKey"]?["hint"]?.GetValue<string>();
        }
        catch (InvalidOperationException)
        {
            return BundleVerificationResult.Fail("the bundle has fields of the wrong type");
        }

        if (mediaType != CosignMediaTypes.SigstoreBundleV03)
        {
            return BundleVerificationResult.Fail($"bundle media type '{mediaType}' is not '{CosignMediaTypes.SigstoreBundleV03}'");
        }

        if (root["verificationMaterial"]?["publicKey"] is null)
        {
            return BundleVerificationResult.Fail("the bundle is not key-based (no verificationMaterial.publicKey)");
        }

        var candidates = trustedKeys.Where(k => string.IsNullOrEmpty(hint) || SigningKeyFiles.PublicKeyHint(k) == hint).ToList();
        if (candidates.Count == 0)
        {
            return BundleVerificationResult.Fail($"no trusted key has the bundle's key hint '{hint}'");
        }

        var envelopeJson = JsonSerializer.SerializeToUtf8Bytes(root["dsseEnvelope"], SigningJson.Options);
        if (root["dsseEnvelope"] is null || !DsseEnvelope.TryParse(envelopeJson, out var envelope))
        {
            return BundleVerificationResult.Fail("the bundle has no readable dsseEnvelope");
        }

        if (!candidates.Any(envelope.VerifiesWith))
        {
            return BundleVerificationResult.Fail("the DSSE signature does not verify with the trusted key");
        }

        return CheckStatement(envelope, imageDigest);
    }

    /// <summary>Checks an already signature-verified envelope's statement against the image digest.</summary>
    internal static BundleVerificationResult CheckStatement(DsseEnvelope envelope, string imageDigest)
    {
        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType)
        {
            return BundleVerificationResult.Fail($"payload type '{envelope.PayloadType}' is not an in-toto statement");
        }

        if (!InTotoStatement.TryReadSubjects(envelope.Payload, out var predicateType, out var subjects))
        {
            return BundleVerificationResult.Fail("the payload is not an in-toto statement");
        }

        if (!subjects.Contains(imageDigest, StringComparer.Ordinal))
        {
            return BundleVerificationResult.Fail(
                $"the statement is about {string.Join(", ", subjects)}, not about {imageDigest}");
        }

        return new BundleVerificationResult(true, predicateType, envelope.Payload, null);
    }

    /// <summary>
    /// The OCI 1.1 referrer manifest that stores a bundle for <paramref name="subjectDigest"/> (layout as cosign v3
    /// writes it: empty config, one bundle layer, <c>subject</c>, and annotations naming the content and predicate type).
    /// The 2-byte empty config <c>{}</c> must be uploaded as a blob too.
    /// </summary>
    public static byte[] ReferrerManifest(
        byte[] bundle,
        string predicateType,
        string subjectMediaType,
        string subjectDigest,
        long subjectSize,
        DateTimeOffset created)
    {
        ImageDigest.Validate(subjectDigest);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = CosignMediaTypes.OciManifest,
            ["artifactType"] = CosignMediaTypes.SigstoreBundleV03,
            ["config"] = new JsonObject
            {
                ["mediaType"] = CosignMediaTypes.OciEmpty,
                ["artifactType"] = CosignMediaTypes.SigstoreBundleV03,
                ["digest"] = ImageDigest.Of(EmptyConfig),
                ["size"] = EmptyConfig.Length,
            },
            ["layers"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = CosignMediaTypes.SigstoreBundleV03,
                ["digest"] = ImageDigest.Of(bundle),
                ["size"] = bundle.Length,
            }),
            ["subject"] = new JsonObject
            {
                ["mediaType"] = subjectMediaType,
                ["digest"] = subjectDigest,
                ["size"] = subjectSize,
            },
            ["annotations"] = new JsonObject
            {
                ["org.opencontainers.image.created"] = created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["dev.sigstore.bundle.content"] = "dsse-envelope",
                ["dev.sigstore.bundle.predicateType"] = predicateType,
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(manifest, SigningJson.Options);
    }

    /// <summary>The empty JSON object used as config blob of referrer manifests.</summary>
    public static byte[] EmptyConfig => Oci.SignatureManifests.EmptyConfig.ToArray();
}
