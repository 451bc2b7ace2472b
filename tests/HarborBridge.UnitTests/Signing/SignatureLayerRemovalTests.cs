using System.Security.Cryptography;
using System.Text.Json;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

public sealed class SignatureLayerRemovalTests
{
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";

    [Fact]
    public void RemoveSignedBy_OursBetweenTwoOthers_KeepsTheOthersInOrderAndRebuildsConfig()
    {
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var alice = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bob = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var blobs = new Dictionary<string, byte[]>();
        byte[]? manifest = null;
        foreach (var (key, identity) in new[] { (alice, "harbor.example.com/team/a"), (ours, "harbor.example.com/team/b"), (bob, "harbor.example.com/team/c") })
        {
            var payload = Payload(identity, Image);
            blobs[Sha256Digest(payload)] = payload;
            manifest = SignatureManifests.AppendSignature(manifest, payload, SignBase64(key, payload), key).Manifest;
        }

        var before = LayerDigests(manifest!);
        var result = SignatureLayerRemoval.RemoveSignedBy(manifest!, ours, d => blobs.GetValueOrDefault(d));

        Assert.Equal((1, 2), (result.Removed, result.Kept));
        Assert.Equal([before[0], before[2]], LayerDigests(result.Manifest!));
        // A manifest we created points at the shared empty config, which stays as it is.
        Assert.Equal("{}"u8.ToArray(), result.Config);
        using var written = JsonDocument.Parse(result.Manifest!);
        Assert.Equal(Sha256Digest(result.Config!), written.RootElement.GetProperty("config").GetProperty("digest").GetString());
        Assert.Equal("application/vnd.oci.empty.v1+json", written.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
    }

    [Fact]
    public void RemoveSignedBy_OursInSkopeosManifest_ImageConfigListsTheLayersLeft()
    {
        // skopeo 1.18 wrote two layers with an image config whose diff_ids list them; we append ours, then remove it.
        var skopeo = Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json");
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("127.0.0.1:5000/demo/app", Image);
        var manifest = SignatureManifests.AppendSignature(skopeo, payload, SignBase64(ours, payload), ours).Manifest;
        var before = LayerDigests(manifest);

        var result = SignatureLayerRemoval.RemoveSignedBy(manifest, ours, d => d == Sha256Digest(payload) ? payload : null);

        Assert.Equal((1, 2), (result.Removed, result.Kept));
        using var config = JsonDocument.Parse(result.Config!);
        Assert.Equal([before[0], before[1]], config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()));
        // What skopeo wrote before we added ours, byte for byte: the config file it uploaded.
        Assert.Equal(Bytes("generated-here", "skopeo-1.18-sig", "sig-config.json"), result.Config);
        using var written = JsonDocument.Parse(result.Manifest!);
        Assert.Equal("application/vnd.oci.image.config.v1+json", written.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
    }

    [Fact]
    public void RemoveSignedBy_OnlyOurs_NothingLeftMeansDelete()
    {
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", Image);
        var manifest = SignatureManifests.AppendSignature(null, payload, SignBase64(ours, payload), ours).Manifest;

        var result = SignatureLayerRemoval.RemoveSignedBy(manifest, ours, d => d == Sha256Digest(payload) ? payload : null);

        Assert.Equal((1, 0), (result.Removed, result.Kept));
        Assert.Null(result.Manifest);
    }

    [Fact]
    public void RemoveSignedBy_OurAttestation_RemovedOthersAttestationKept()
    {
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var blobs = new Dictionary<string, byte[]>();
        byte[]? manifest = null;
        foreach (var (key, text) in new[] { (ours, "{\"a\":1}"), (other, "{\"b\":2}") })
        {
            var envelope = DsseEnvelope.Sign(key, DsseEnvelope.InTotoPayloadType, Utf8(text));
            blobs[Sha256Digest(envelope.ToJson())] = envelope.ToJson();
            manifest = SignatureManifests.AppendAttestation(manifest, envelope, "https://slsa.dev/provenance/v1", key, d => blobs.GetValueOrDefault(d)).Manifest;
        }

        var before = LayerDigests(manifest!);
        var result = SignatureLayerRemoval.RemoveSignedBy(manifest!, ours, d => blobs.GetValueOrDefault(d));

        Assert.Equal([before[1]], LayerDigests(result.Manifest!));
    }

    [Fact]
    public void RemoveSignedBy_BlobUnreadable_LayerKeptBecauseItCannotBeShownToBeOurs()
    {
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", Image);
        var manifest = SignatureManifests.AppendSignature(null, payload, SignBase64(ours, payload), ours).Manifest;

        var result = SignatureLayerRemoval.RemoveSignedBy(manifest, ours, _ => null);

        Assert.Equal((0, 1), (result.Removed, result.Kept));
        Assert.Equal(manifest, result.Manifest);
    }

    private static List<string?> LayerDigests(byte[] manifest)
    {
        using var document = JsonDocument.Parse(manifest);
        return document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()).ToList();
    }
}
