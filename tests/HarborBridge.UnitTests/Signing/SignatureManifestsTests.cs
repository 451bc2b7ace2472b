using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Signing;
using HarborBridge.Signing.Oci;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

public sealed class SignatureManifestsTests
{
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";

    [Fact]
    public void AppendSignature_NoExistingManifest_OneSimpleSigningLayerWithSignatureAnnotation()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", Image);
        var signature = SignBase64(key, payload);

        var update = SignatureManifests.AppendSignature(null, payload, signature, key);

        Assert.True(update.Added);
        using var manifest = JsonDocument.Parse(update.Manifest);
        var root = manifest.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", root.GetProperty("mediaType").GetString());
        var layer = root.GetProperty("layers").EnumerateArray().Single();
        Assert.Equal("application/vnd.dev.cosign.simplesigning.v1+json", layer.GetProperty("mediaType").GetString());
        Assert.Equal(Sha256Digest(payload), layer.GetProperty("digest").GetString());
        Assert.Equal(payload.Length, layer.GetProperty("size").GetInt32());
        Assert.Equal(signature, layer.GetProperty("annotations").GetProperty("dev.cosignproject.cosign/signature").GetString());
        // The OCI 1.1 empty config: media type application/vnd.oci.empty.v1+json, content "{}" (2 bytes), whose digest is
        // the one the image spec prints for it (descriptor.md, "Guidance for an Empty Descriptor").
        var config = root.GetProperty("config");
        Assert.Equal("application/vnd.oci.empty.v1+json", config.GetProperty("mediaType").GetString());
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", config.GetProperty("digest").GetString());
        Assert.Equal(2, config.GetProperty("size").GetInt32());
        Assert.Equal("{}"u8.ToArray(), update.Config);
        Assert.Equal(Sha256Digest(update.Manifest), update.ManifestDigest);
        Assert.Equal(payload, update.LayerBlob);
    }

    [Fact]
    public void AppendSignature_ManifestsOfTwoImages_ShareOneConfig()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = Payload("harbor.example.com/team/app", Image);
        var second = Payload("harbor.example.com/team/app", "sha256:" + new string('b', 64));

        var one = SignatureManifests.AppendSignature(null, first, SignBase64(key, first), key);
        var two = SignatureManifests.AppendSignature(null, second, SignBase64(key, second), key);
        var both = SignatureManifests.AppendSignature(one.Manifest, second, SignBase64(key, second), key);

        // One config blob per repository, whatever the signatures: nothing to upload per signature.
        Assert.Equal(one.ConfigDigest, two.ConfigDigest);
        Assert.Equal(one.ConfigDigest, both.ConfigDigest);
        Assert.Equal(2, JsonDocument.Parse(both.Manifest).RootElement.GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void AppendSignature_SkopeoManifestWithTwoForeignLayers_KeepsThemAndAppendsThird()
    {
        var existing = Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("127.0.0.1:5000/demo/app", Image);

        var update = SignatureManifests.AppendSignature(existing, payload, SignBase64(key, payload), key);

        Assert.True(update.Added);
        using var before = JsonDocument.Parse(existing);
        using var after = JsonDocument.Parse(update.Manifest);
        var oldLayers = before.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetRawText()).ToList();
        var newLayers = after.RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(3, newLayers.Count);
        Assert.Equal(oldLayers, newLayers.Take(2).Select(l => l.GetRawText()));
        Assert.Equal(Sha256Digest(payload), newLayers[2].GetProperty("digest").GetString());
        using var config = JsonDocument.Parse(update.Config);
        Assert.Equal(
            ["sha256:a43edd9bc04630cba99e73af20cea4248523cf2808d198c1dc3edcf6ee1fd95c", "sha256:ae8b6e4e11835ba9efcd51a158427706fc39a5583a418b91f4d2ab629c5b0a34", Sha256Digest(payload)],
            config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void AppendSignature_SecondSkopeoLayerOntoFirst_SameConfigBytesAndLayersAsSkopeoWrote()
    {
        var skopeoManifest = System.Text.Json.Nodes.JsonNode.Parse(Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json"))!;
        var secondLayer = skopeoManifest["layers"]![1]!;
        var onlyFirst = skopeoManifest.DeepClone();
        onlyFirst["layers"]!.AsArray().RemoveAt(1);
        var payload2 = Bytes("generated-here", "skopeo-1.18-sig", "payload-2.json");
        using var signer2 = PublicKey("generated-here", "skopeo-1.18-sig", "signer-2.pub");

        var update = SignatureManifests.AppendSignature(Utf8(onlyFirst.ToJsonString()), payload2,
            secondLayer["annotations"]!["dev.cosignproject.cosign/signature"]!.GetValue<string>(), signer2);

        Assert.Equal(Bytes("generated-here", "skopeo-1.18-sig", "sig-config.json"), update.Config);
        var ours = System.Text.Json.Nodes.JsonNode.Parse(update.Manifest)!;
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(skopeoManifest, ours), ours.ToJsonString());
    }

    [Fact]
    public void AppendSignature_SameKeySameImageAgain_NotAddedAndManifestUnchanged()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", Image);
        var first = SignatureManifests.AppendSignature(null, payload, SignBase64(key, payload), key);

        // ECDSA signatures are randomised, so the second signature differs but means the same.
        var second = SignatureManifests.AppendSignature(first.Manifest, payload, SignBase64(key, payload), key);

        Assert.False(second.Added);
        Assert.Equal(first.Manifest, second.Manifest);
        Assert.Empty(second.Config);
        Assert.Equal(first.ConfigDigest, second.ConfigDigest);
    }

    [Fact]
    public void AppendSignature_SameKeySameImageOtherAnnotationsWithBlobs_NotAdded()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = Payload("harbor.example.com/team/app", Image);
        var existing = SignatureManifests.AppendSignature(null, first, SignBase64(key, first), key);
        var blobs = new Dictionary<string, byte[]> { [Sha256Digest(first)] = first };
        var second = Utf8(Encoding.UTF8.GetString(first).Replace("\"optional\":null", "\"optional\":{\"verdict\":\"pass\"}", StringComparison.Ordinal));

        var withBlobs = SignatureManifests.AppendSignature(existing.Manifest, second, SignBase64(key, second), key, existingBlob: blobs.GetValueOrDefault);
        var withoutBlobs = SignatureManifests.AppendSignature(existing.Manifest, second, SignBase64(key, second), key);

        Assert.False(withBlobs.Added);
        Assert.True(withoutBlobs.Added);
    }

    [Fact]
    public void AppendSignature_SameKeyOtherImageWithBlobs_Added()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = Payload("harbor.example.com/team/app", Image);
        var existing = SignatureManifests.AppendSignature(null, first, SignBase64(key, first), key);
        var blobs = new Dictionary<string, byte[]> { [Sha256Digest(first)] = first };
        var other = Payload("harbor.example.com/team/app", "sha256:" + new string('1', 64));

        var update = SignatureManifests.AppendSignature(existing.Manifest, other, SignBase64(key, other), key, existingBlob: blobs.GetValueOrDefault);

        Assert.True(update.Added);
    }

    [Fact]
    public void AppendSignature_OtherKeySamePayload_Added()
    {
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var theirs = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", Image);
        var theirManifest = SignatureManifests.AppendSignature(null, payload, SignBase64(theirs, payload), theirs);

        var update = SignatureManifests.AppendSignature(theirManifest.Manifest, payload, SignBase64(ours, payload), ours);

        Assert.True(update.Added);
        using var after = JsonDocument.Parse(update.Manifest);
        Assert.Equal(2, after.RootElement.GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void AppendSignature_ManifestNotJson_ThrowsSignatureManifestException()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", Image);

        Assert.Throws<SignatureManifestException>(() =>
            SignatureManifests.AppendSignature("<html>"u8.ToArray(), payload, SignBase64(key, payload), key));
    }

    [Fact]
    public void Tags_FromDigest_CosignNames()
    {
        Assert.Equal("sha256-b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e.sig", ImageDigest.SignatureTag(Image));
        Assert.Equal("sha256-b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e.att", ImageDigest.AttestationTag(Image));
        Assert.Equal("sha256-b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e", ImageDigest.ReferrersFallbackTag(Image));
    }

    [Fact]
    public void DirLayoutSignature_WriteThenRead_ContainersImageFileFormat()
    {
        var layer = new SignatureLayer(CosignMediaTypes.SimpleSigning, Utf8("{}"),
            new Dictionary<string, string> { [CosignMediaTypes.SignatureAnnotation] = "c2ln" });

        var file = DirLayoutSignature.Write(layer);

        Assert.Equal(Utf8("\0sigstore-json\n{\"mimeType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"payload\":\"e30=\",\"annotations\":{\"dev.cosignproject.cosign/signature\":\"c2ln\"}}"), file);
        var read = DirLayoutSignature.Read(file);
        Assert.Equal(layer.Blob, read.Blob);
        Assert.Equal("c2ln", read.Signature);
    }

    [Fact]
    public void DirLayoutSignature_ContainersImageFixture_ByteEqualWhenRewritten()
    {
        var original = Bytes("containers-image", "dir-img-cosign-valid", "signature-1");

        Assert.Equal(original, DirLayoutSignature.Write(DirLayoutSignature.Read(original)));
    }
}
