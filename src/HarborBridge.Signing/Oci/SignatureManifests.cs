using System.Text.Json;
using System.Text.Json.Nodes;
using System.Security.Cryptography;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.SimpleSigning;

namespace HarborBridge.Signing.Oci;

/// <summary>
/// The result of appending a layer: upload <see cref="LayerBlob"/> and <see cref="Config"/>, then PUT <see cref="Manifest"/>.
/// When <see cref="Added"/> is false the signature is already there: nothing needs to be written, <see cref="Manifest"/>
/// is the existing manifest and <see cref="Config"/> is empty.
/// </summary>
public sealed record SignatureManifestUpdate(
    bool Added,
    byte[] Manifest,
    string ManifestDigest,
    byte[] Config,
    string ConfigDigest,
    byte[] LayerBlob,
    string LayerDigest);

/// <summary>The result of <see cref="SignatureManifests.UpdateAttestations"/>: when <see cref="Changed"/>, upload
/// <see cref="NewBlobs"/> and <see cref="Config"/>, then PUT <see cref="Manifest"/>; otherwise everything is already there.</summary>
public sealed record AttestationManifestUpdate(bool Changed, byte[] Manifest, string ManifestDigest, byte[] Config, IReadOnlyList<byte[]> NewBlobs);

/// <summary>
/// Pure functions over the JSON of cosign's legacy <c>.sig</c> / <c>.att</c> manifests (an OCI image whose
/// layers are signatures). Existing layers, including other signers', are kept byte for byte; a layer is
/// appended at the end. A manifest we create points at the OCI empty config (<c>{}</c>, <see cref="CosignMediaTypes.OciEmpty"/>),
/// which every signature in a repository shares, so it is uploaded once and not per signature (verifiers read only the
/// layers). A manifest that another tool created keeps its convention: an image config is rebuilt so that
/// <c>rootfs.diff_ids</c> lists every layer digest, as cosign and skopeo write it.
/// </summary>
public static class SignatureManifests
{
    /// <summary>
    /// Appends a simple-signing layer unless our key already signed this image: an existing layer with the same payload
    /// digest whose signature <paramref name="signerPublicKey"/> verifies, or, when <paramref name="existingBlob"/> can
    /// fetch layer blobs, any layer whose payload names the same image digest and verifies with our key (so a re-sign
    /// with other annotations or another tag in the identity is not added twice either).
    /// </summary>
    public static SignatureManifestUpdate AppendSignature(
        byte[]? existingManifest,
        byte[] payload,
        string signatureBase64,
        ECDsa signerPublicKey,
        IReadOnlyDictionary<string, string>? extraAnnotations = null,
        Func<string, byte[]?>? existingBlob = null)
    {
        var annotations = new Dictionary<string, string>(extraAnnotations ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [CosignMediaTypes.SignatureAnnotation] = signatureBase64,
        };
        var payloadDigest = ImageDigest.Of(payload);
        var imageDigest = SimpleSigningPayload.Parse(payload).ManifestDigest;
        return Append(existingManifest, new SignatureLayer(CosignMediaTypes.SimpleSigning, payload, annotations), layer =>
        {
            if (layer.MediaType != CosignMediaTypes.SimpleSigning)
            {
                return false;
            }

            var signature = layer.Annotations.GetValueOrDefault(CosignMediaTypes.SignatureAnnotation);
            if (layer.Digest == payloadDigest)
            {
                return EcdsaSignatures.VerifyBase64(signerPublicKey, payload, signature);
            }

            var blob = existingBlob?.Invoke(layer.Digest);
            if (blob is null || ImageDigest.Of(blob) != layer.Digest || !EcdsaSignatures.VerifyBase64(signerPublicKey, blob, signature))
            {
                return false;
            }

            try
            {
                return SimpleSigningPayload.Parse(blob).ManifestDigest == imageDigest;
            }
            catch (SimpleSigningPayloadException)
            {
                return false;
            }
        });
    }

    /// <summary>
    /// Appends a DSSE envelope layer to an <c>.att</c> manifest unless an existing layer with the same predicate type holds
    /// the same statement signed by <paramref name="signerPublicKey"/>. <paramref name="existingBlob"/> returns a layer's
    /// blob by digest (null when unavailable; such layers are never treated as duplicates).
    /// </summary>
    public static SignatureManifestUpdate AppendAttestation(
        byte[]? existingManifest,
        DsseEnvelope envelope,
        string predicateType,
        ECDsa signerPublicKey,
        Func<string, byte[]?> existingBlob)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CosignMediaTypes.PredicateTypeAnnotation] = predicateType,
            [CosignMediaTypes.SignatureAnnotation] = string.Empty,
        };
        var blob = envelope.ToJson();
        return Append(existingManifest, new SignatureLayer(CosignMediaTypes.DsseEnvelope, blob, annotations), layer =>
        {
            if (layer.MediaType != CosignMediaTypes.DsseEnvelope ||
                layer.Annotations.GetValueOrDefault(CosignMediaTypes.PredicateTypeAnnotation) != predicateType)
            {
                return false;
            }

            var existing = existingBlob(layer.Digest);
            if (existing is null || ImageDigest.Of(existing) != layer.Digest || !DsseEnvelope.TryParse(existing, out var other))
            {
                return false;
            }

            return other.PayloadType == envelope.PayloadType &&
                   other.Payload.AsSpan().SequenceEqual(envelope.Payload) &&
                   other.VerifiesWith(signerPublicKey);
        });
    }

    /// <summary>
    /// Brings our attestations in an <c>.att</c> manifest up to date, one layer per predicate type: a layer of that type
    /// whose envelope <paramref name="signerPublicKey"/> verifies and holds the same statement is kept and nothing is
    /// added for it; our other layers of that type (an earlier decision's) are dropped; the remaining statements are
    /// appended. Other signers' layers are kept byte for byte. <paramref name="existingBlob"/> returns a layer's blob by
    /// digest (null when unavailable; such a layer is never taken for ours).
    /// </summary>
    public static AttestationManifestUpdate UpdateAttestations(
        byte[]? existingManifest,
        IReadOnlyList<(DsseEnvelope Envelope, string PredicateType)> attestations,
        ECDsa signerPublicKey,
        Func<string, byte[]?> existingBlob)
    {
        ArgumentNullException.ThrowIfNull(attestations);
        if (attestations.Select(a => a.PredicateType).Distinct(StringComparer.Ordinal).Count() != attestations.Count)
        {
            throw new ArgumentException("At most one attestation per predicate type.", nameof(attestations));
        }

        var root = existingManifest is null ? NewManifest() : ParseManifest(existingManifest);
        var descriptors = ReadLayers(root);
        var nodes = ((JsonArray)root["layers"]!).ToList();
        var kept = new List<JsonNode>();
        var keptDigests = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        var dropped = 0;
        for (var i = 0; i < descriptors.Count; i++)
        {
            var layer = descriptors[i];
            var predicateType = layer.Annotations.GetValueOrDefault(CosignMediaTypes.PredicateTypeAnnotation);
            var ours = layer.MediaType == CosignMediaTypes.DsseEnvelope && predicateType is not null
                ? attestations.FirstOrDefault(a => a.PredicateType == predicateType)
                : default;
            if (ours.Envelope is not null && existingBlob(layer.Digest) is { } blob && ImageDigest.Of(blob) == layer.Digest &&
                DsseEnvelope.TryParse(blob, out var envelope) && envelope.VerifiesWith(signerPublicKey))
            {
                var same = envelope.PayloadType == ours.Envelope.PayloadType && envelope.Payload.AsSpan().SequenceEqual(ours.Envelope.Payload);
                if (!same || !present.Add(predicateType!))
                {
                    dropped++;
                    continue; // an earlier statement of ours (or a second copy): replaced
                }
            }

            kept.Add(nodes[i]!.DeepClone());
            keptDigests.Add(layer.Digest);
        }

        var added = attestations.Where(a => !present.Contains(a.PredicateType))
            .Select(a => new SignatureLayer(CosignMediaTypes.DsseEnvelope, a.Envelope.ToJson(), new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [CosignMediaTypes.PredicateTypeAnnotation] = a.PredicateType,
                [CosignMediaTypes.SignatureAnnotation] = string.Empty,
            }))
            .ToList();
        if (added.Count == 0 && dropped == 0)
        {
            return new AttestationManifestUpdate(false, existingManifest!, ImageDigest.Of(existingManifest!), [], []);
        }

        if (kept.Count + added.Count > CosignMediaTypes.MaxLayers)
        {
            throw new InvalidOperationException(
                $"The attestation manifest would have {kept.Count + added.Count} layers; cosign refuses more than {CosignMediaTypes.MaxLayers}.");
        }

        var layers = new JsonArray(kept.Concat(added.Select(LayerNode)).ToArray());
        root["layers"] = layers;
        var config = SetConfig(root, keptDigests.Concat(added.Select(l => ImageDigest.Of(l.Blob))));
        var manifest = JsonSerializer.SerializeToUtf8Bytes(root, SigningJson.Options);
        return new AttestationManifestUpdate(true, manifest, ImageDigest.Of(manifest), config, added.Select(l => l.Blob).ToList());
    }

    /// <summary>A layer descriptor as read from the manifest.</summary>
    public sealed record LayerDescriptor(string MediaType, string Digest, long Size, IReadOnlyDictionary<string, string> Annotations);

    /// <summary>Reads the layer descriptors of a <c>.sig</c>/<c>.att</c> manifest.</summary>
    public static IReadOnlyList<LayerDescriptor> ReadLayers(byte[] manifest)
    {
        var root = ParseManifest(manifest);
        return ReadLayers(root);
    }

    /// <summary>Pairs each layer descriptor with its blob, for <see cref="Verification.SimpleSigningVerifier"/>.</summary>
    public static IReadOnlyList<SignatureLayer> ToSignatureLayers(byte[] manifest, Func<string, byte[]?> blob) =>
        ReadLayers(manifest)
            .Select(d => new SignatureLayer(d.MediaType, blob(d.Digest) ?? [], d.Annotations, d.Digest))
            .ToList();

    private static SignatureManifestUpdate Append(byte[]? existingManifest, SignatureLayer layer, Func<LayerDescriptor, bool> isDuplicate)
    {
        var root = existingManifest is null ? NewManifest() : ParseManifest(existingManifest);
        var existing = ReadLayers(root);
        var layerDigest = ImageDigest.Of(layer.Blob);
        if (existing.Any(isDuplicate))
        {
            var existingConfigDigest = (root["config"] as JsonObject)?["digest"]?.GetValue<string>() ?? string.Empty;
            return new SignatureManifestUpdate(false, existingManifest!, ImageDigest.Of(existingManifest!),
                [], existingConfigDigest, layer.Blob, layerDigest);
        }

        if (existing.Count >= CosignMediaTypes.MaxLayers)
        {
            throw new InvalidOperationException(
                $"The signature manifest already has {existing.Count} layers; cosign refuses more than {CosignMediaTypes.MaxLayers}.");
        }

        ((JsonArray)root["layers"]!).Add(LayerNode(layer));
        var config = SetConfig(root, existing.Select(l => l.Digest).Append(layerDigest));
        var manifest = JsonSerializer.SerializeToUtf8Bytes(root, SigningJson.Options);
        return new SignatureManifestUpdate(true, manifest, ImageDigest.Of(manifest), config, ImageDigest.Of(config), layer.Blob, layerDigest);
    }

    private static JsonObject LayerNode(SignatureLayer layer)
    {
        var annotations = new JsonObject();
        foreach (var (key, value) in layer.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            annotations[key] = value;
        }

        return new JsonObject
        {
            ["mediaType"] = layer.MediaType,
            ["size"] = layer.Blob.Length,
            ["digest"] = ImageDigest.Of(layer.Blob),
            ["annotations"] = annotations,
        };
    }

    /// <summary>The OCI empty config (<c>{}</c>) that the signature and attestation manifests we create point at.</summary>
    public static ReadOnlySpan<byte> EmptyConfig => "{}"u8;

    /// <summary>Whether <paramref name="config"/> is <see cref="EmptyConfig"/>, which a repository needs only once.</summary>
    public static bool IsEmptyConfig(ReadOnlySpan<byte> config) => config.SequenceEqual(EmptyConfig);

    // Points the manifest at the config for these layers and returns the config: the empty config stays as it is; an image
    // config (another tool's manifest) is rebuilt with one diff_id per layer, keeping its media type.
    internal static byte[] SetConfig(JsonObject root, IEnumerable<string> layerDigests)
    {
        var configDescriptor = root["config"] as JsonObject ?? new JsonObject();
        var configMediaType = configDescriptor["mediaType"]?.GetValue<string>() ?? CosignMediaTypes.OciConfig;
        var config = configMediaType == CosignMediaTypes.OciEmpty ? EmptyConfig.ToArray() : BuildConfig(layerDigests);
        root["config"] = new JsonObject
        {
            ["mediaType"] = configMediaType,
            ["size"] = config.Length,
            ["digest"] = ImageDigest.Of(config),
        };
        return config;
    }

    private static JsonObject NewManifest() => new()
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = CosignMediaTypes.OciManifest,
        ["config"] = new JsonObject { ["mediaType"] = CosignMediaTypes.OciEmpty },
        ["layers"] = new JsonArray(),
    };

    // The config of an empty image with one diff_id per signature layer (the payload is not compressed).
    internal static byte[] BuildConfig(IEnumerable<string> layerDigests)
    {
        var config = new JsonObject
        {
            ["architecture"] = string.Empty,
            ["os"] = string.Empty,
            ["config"] = new JsonObject(),
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray(layerDigests.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(config, SigningJson.Options);
    }

    internal static JsonObject ParseManifest(byte[] manifest)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(manifest) as JsonObject;
        }
        catch (JsonException ex)
        {
            throw new SignatureManifestException("the manifest is not valid JSON", ex);
        }

        if (root is null)
        {
            throw new SignatureManifestException("the manifest is not a JSON object");
        }

        if (root["layers"] is null)
        {
            root["layers"] = new JsonArray();
        }
        else if (root["layers"] is not JsonArray)
        {
            throw new SignatureManifestException("'layers' is not an array");
        }

        return root;
    }

    internal static List<LayerDescriptor> ReadLayers(JsonObject root)
    {
        var result = new List<LayerDescriptor>();
        foreach (var node in (JsonArray)root["layers"]!)
        {
            try
            {
                var layer = node as JsonObject ?? throw new SignatureManifestException("a layer is not an object");
                var annotations = (layer["annotations"] as JsonObject)?
                    .Where(a => a.Value is JsonValue)
                    .ToDictionary(a => a.Key, a => a.Value!.GetValue<string>(), StringComparer.Ordinal)
                    ?? new Dictionary<string, string>(StringComparer.Ordinal);
                result.Add(new LayerDescriptor(
                    layer["mediaType"]?.GetValue<string>() ?? string.Empty,
                    layer["digest"]?.GetValue<string>() ?? throw new SignatureManifestException("a layer has no digest"),
                    layer["size"]?.GetValue<long>() ?? 0,
                    annotations));
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                throw new SignatureManifestException("a layer descriptor has a field of the wrong type", ex);
            }
        }

        return result;
    }
}

/// <summary>A <c>.sig</c>/<c>.att</c> manifest cannot be read.</summary>
public sealed class SignatureManifestException(string message, Exception? innerException = null)
    : Exception("Invalid signature manifest: " + message, innerException);
