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
    public async Task SignAsync_FirstSignature_StoresOneVerifiableLayerInFourRoundTripsOnceTheRepositoryHasTheConfig()
    {
        var registry = new InMemoryRegistry();
        // A repository of its own: the empty config is uploaded once per repository and process.
        var repository = new OciRepository(new Uri("https://harbor.example.com/"), "team/app-" + Guid.NewGuid().ToString("N"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new CosignSigner(registry, TimeProvider.System);
        var otherImage = "sha256:" + new string('c', 64);

        await signer.SignAsync(repository, otherImage, key, null, CancellationToken.None);
        var firstInRepository = registry.RoundTrips;
        var outcome = await signer.SignAsync(repository, Image, key, null, CancellationToken.None);

        // The repository's first: GET tag (404), HEAD config (404), POST+PUT config, POST+PUT payload, PUT manifest.
        Assert.Equal(7, firstInRepository);
        // Every image after it: GET tag (404), POST+PUT payload, PUT manifest; verified from those bytes, nothing read again.
        Assert.Equal(4, registry.RoundTrips - firstInRepository);
        Assert.True(outcome.Added);
        Assert.Equal(1, outcome.Attempts);
        var layer = Layers(registry.Manifest(Tag)!).Single();
        var payload = registry.Blob(layer.Digest);
        Assert.Equal(
            "{\"critical\":{\"identity\":{\"docker-reference\":\"" + repository + "\"},\"image\":{\"docker-manifest-digest\":\"" + Image +
            "\"},\"type\":\"cosign container image signature\"},\"optional\":null}",
            Encoding.UTF8.GetString(payload));
        Assert.True(key.VerifyData(payload, Convert.FromBase64String(layer.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        // The config the manifest names is in the registry: a registry refuses a manifest whose blobs it does not have.
        Assert.Equal("{}"u8.ToArray(), registry.Blob("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
    }

    [Fact]
    public async Task SignAsync_RegistryLostTheSharedConfig_UploadsItAgainAndSigns()
    {
        var repository = new OciRepository(new Uri("https://harbor.example.com/"), "team/gc-" + Guid.NewGuid().ToString("N"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await new CosignSigner(new InMemoryRegistry(), TimeProvider.System).SignAsync(repository, "sha256:" + new string('d', 64), key, null, CancellationToken.None);
        // The same repository on a registry without the config blob, as after garbage collection: the process still
        // believes the repository has it, the registry refuses the manifest, and the signer recovers.
        var collected = new InMemoryRegistry();

        var outcome = await new CosignSigner(collected, TimeProvider.System).SignAsync(repository, Image, key, null, CancellationToken.None);

        Assert.True(outcome.Added);
        Assert.Single(Layers(collected.Manifest(Tag)!));
        Assert.Equal("{}"u8.ToArray(), collected.Blob("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
        // GET tag, POST+PUT payload, PUT (refused), HEAD config, POST+PUT config, PUT.
        Assert.Equal(8, collected.RoundTrips);
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
