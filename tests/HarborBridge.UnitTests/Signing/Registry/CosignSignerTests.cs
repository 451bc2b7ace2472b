using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Registry;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing.Registry;

public sealed class CosignSignerTests
{
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";
    private const string Tag = "sha256-b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e.sig";
    private static readonly OciRepository Repo = new(new Uri("https://harbor.example.com/"), "team/app");

    [Fact]
    public async Task SignAsync_FirstSignature_StoresOneVerifiableLayerInSixRoundTrips()
    {
        var registry = new InMemoryRegistry();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var outcome = await new CosignSigner(registry, TimeProvider.System).SignAsync(Repo, Image, key, null, CancellationToken.None);

        // GET tag (404), POST+PUT payload, POST+PUT config, PUT manifest; verified from those bytes, nothing read again.
        Assert.Equal(6, registry.RoundTrips);
        Assert.True(outcome.Added);
        Assert.Equal(1, outcome.Attempts);
        var layer = Layers(registry.Manifest(Tag)!).Single();
        var payload = registry.Blob(layer.Digest);
        Assert.Equal(
            "{\"critical\":{\"identity\":{\"docker-reference\":\"harbor.example.com/team/app\"},\"image\":{\"docker-manifest-digest\":\"" + Image +
            "\"},\"type\":\"cosign container image signature\"},\"optional\":null}",
            Encoding.UTF8.GetString(payload));
        Assert.True(key.VerifyData(payload, Convert.FromBase64String(layer.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task SignAsync_Twice_LeavesOneLayerAndSecondAddsNothing()
    {
        var registry = new InMemoryRegistry();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new CosignSigner(registry, TimeProvider.System);

        await signer.SignAsync(Repo, Image, key, null, CancellationToken.None);
        var second = await signer.SignAsync(Repo, Image, key, null, CancellationToken.None);

        Assert.False(second.Added);
        Assert.Single(Layers(registry.Manifest(Tag)!));
    }

    [Fact]
    public async Task SignAsync_ForeignSignaturesPresent_KeepsThemAndAppendsOurs()
    {
        var registry = new InMemoryRegistry();
        var foreign = Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json");
        registry.Put(Tag, foreign);
        var foreignLayers = Layers(foreign);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        await new CosignSigner(registry, TimeProvider.System).SignAsync(Repo, Image, key, null, CancellationToken.None);

        var layers = Layers(registry.Manifest(Tag)!);
        Assert.Equal(foreignLayers.Count + 1, layers.Count);
        Assert.Equal(foreignLayers, layers.Take(foreignLayers.Count));
    }

    [Fact]
    public async Task SignAsync_ForeignSignaturesPresent_ChecksTheTagOnceAfterItsPut()
    {
        var registry = new InMemoryRegistry();
        registry.Put(Tag, Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        await new CosignSigner(registry, TimeProvider.System).SignAsync(Repo, Image, key, null, CancellationToken.None);

        // GET tag, HEAD payload + POST+PUT payload, POST+PUT config, PUT manifest, HEAD tag.
        Assert.Equal(8, registry.RoundTrips);
    }

    [Fact]
    public async Task SignAsync_AnotherSignerOverwritesTagRightAfterOurPut_MergesAgainAndKeepsBoth()
    {
        var registry = new InMemoryRegistry();
        var foreign = Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json");
        registry.Put(Tag, foreign);
        var overwrites = 0;
        registry.AfterPut = tag =>
        {
            if (overwrites++ == 0)
            {
                registry.Put(tag, foreign);   // the other signer read before our PUT and wrote after it
            }
        };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var outcome = await new CosignSigner(registry, TimeProvider.System).SignAsync(Repo, Image, key, null, CancellationToken.None);

        Assert.Equal(2, outcome.Attempts);
        var layers = Layers(registry.Manifest(Tag)!);
        Assert.Equal(Layers(foreign).Count + 1, layers.Count);
        Assert.Equal(Layers(foreign), layers.Take(layers.Count - 1));
        var ours = layers[^1];
        Assert.True(key.VerifyData(registry.Blob(ours.Digest), Convert.FromBase64String(ours.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task SignAsync_TagAlwaysOverwritten_ThrowsInsteadOfClaimingSuccess()
    {
        var registry = new InMemoryRegistry();
        var foreign = Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json");
        registry.Put(Tag, foreign);
        registry.AfterPut = tag => registry.Put(tag, foreign);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = await Assert.ThrowsAsync<CosignSigningException>(() =>
            new CosignSigner(registry, TimeProvider.System).SignAsync(Repo, Image, key, null, CancellationToken.None));

        Assert.Contains("after 5 attempts", error.Message, StringComparison.Ordinal);
    }

    private sealed record Layer(string Digest, string Signature);

    private static List<Layer> Layers(byte[] manifest)
    {
        using var document = JsonDocument.Parse(manifest);
        return document.RootElement.GetProperty("layers").EnumerateArray()
            .Select(l => new Layer(l.GetProperty("digest").GetString()!, l.GetProperty("annotations").GetProperty("dev.cosignproject.cosign/signature").GetString()!))
            .ToList();
    }
}
