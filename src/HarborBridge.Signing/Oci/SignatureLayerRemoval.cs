using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Dsse;

namespace HarborBridge.Signing.Oci;

/// <summary>The result of removing one signer's layers from a <c>.sig</c>/<c>.att</c> manifest. <see cref="Manifest"/>
/// is null when no layer is left (delete the manifest); otherwise upload <see cref="Config"/> and PUT the manifest.</summary>
public sealed record SignatureLayerRemovalResult(int Removed, int Kept, byte[]? Manifest, byte[]? Config);

/// <summary>Pure function over cosign's legacy signature manifests: drops the layers one key signed and keeps every
/// other signer's layer byte for byte, in order.</summary>
public static class SignatureLayerRemoval
{
    /// <summary>Removes the simple-signing layers whose signature verifies with <paramref name="publicKey"/> and the DSSE
    /// layers whose envelope it verifies. <paramref name="blob"/> returns a layer's blob by digest (null when unavailable:
    /// such a layer cannot be shown to be ours and is kept).</summary>
    public static SignatureLayerRemovalResult RemoveSignedBy(byte[] manifest, ECDsa publicKey, Func<string, byte[]?> blob)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(blob);
        var root = SignatureManifests.ParseManifest(manifest);
        var layers = (JsonArray)root["layers"]!;
        var descriptors = SignatureManifests.ReadLayers(root);
        var keep = new List<int>();
        for (var i = 0; i < descriptors.Count; i++)
        {
            if (!IsOurs(descriptors[i], publicKey, blob))
            {
                keep.Add(i);
            }
        }

        var removed = descriptors.Count - keep.Count;
        if (removed == 0)
        {
            return new SignatureLayerRemovalResult(0, keep.Count, manifest, null);
        }

        if (keep.Count == 0)
        {
            return new SignatureLayerRemovalResult(removed, 0, null, null);
        }

        var kept = new JsonArray(keep.Select(i => layers[i]!.DeepClone()).ToArray());
        root["layers"] = kept;
        var config = SignatureManifests.SetConfig(root, keep.Select(i => descriptors[i].Digest));
        return new SignatureLayerRemovalResult(removed, keep.Count, JsonSerializer.SerializeToUtf8Bytes(root, SigningJson.Options), config);
    }

    private static bool IsOurs(SignatureManifests.LayerDescriptor layer, ECDsa publicKey, Func<string, byte[]?> blob)
    {
        var content = blob(layer.Digest);
        if (content is null || ImageDigest.Of(content) != layer.Digest)
        {
            return false;
        }

        return layer.MediaType switch
        {
            CosignMediaTypes.SimpleSigning => EcdsaSignatures.VerifyBase64(publicKey, content,
                layer.Annotations.GetValueOrDefault(CosignMediaTypes.SignatureAnnotation)),
            CosignMediaTypes.DsseEnvelope => DsseEnvelope.TryParse(content, out var envelope) && envelope.VerifiesWith(publicKey),
            _ => false,
        };
    }
}
