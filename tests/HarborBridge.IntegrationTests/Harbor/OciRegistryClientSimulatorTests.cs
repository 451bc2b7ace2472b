using System.Text;
using System.Text.Json;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>OciRegistryClient through the simulator's /v2/ front to the real docker-registry 2.8.</summary>
public sealed class OciRegistryClientSimulatorTests
{
    private static readonly byte[] EmptyJson = Encoding.UTF8.GetBytes("{}");

    /// <summary>An OCI 1.1 referrer of <paramref name="subject"/>: empty config and layer, the given artifact type.</summary>
    private static byte[] Referrer(OciLayoutImage subject, string artifactType, string note = "") => JsonSerializer.SerializeToUtf8Bytes(new
    {
        schemaVersion = 2,
        mediaType = OciMediaTypes.ImageManifest,
        artifactType,
        config = new { mediaType = OciMediaTypes.Empty, digest = OciLayoutImage.Sha256(EmptyJson), size = 2 },
        layers = new[] { new { mediaType = OciMediaTypes.Empty, digest = OciLayoutImage.Sha256(EmptyJson), size = 2 } },
        subject = new { mediaType = OciMediaTypes.ImageManifest, digest = subject.ManifestDigest, size = subject.Manifest.Length },
        annotations = new Dictionary<string, string> { ["note"] = note },
    });

    [Fact]
    public async Task ReadBack_ImagePushedWithSkopeo_ManifestBlobsAndTagsMatch()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("team/api", "1.0", ct);
        var repository = session.Repository("team/api");

        var head = await session.Registry.HeadManifestAsync(repository, "1.0", ct);
        var manifest = await session.Registry.GetManifestAsync(repository, "1.0", ct);
        var config = await session.Registry.GetBlobAsync(repository, image.ConfigDigest, ct);

        Assert.Equal(image.ManifestDigest, head!.Digest);
        Assert.Equal(OciMediaTypes.ImageManifest, head.MediaType);
        Assert.Equal(image.Manifest, manifest!.Content);
        Assert.Equal(image.ConfigDigest, OciLayoutImage.Sha256(config));
        Assert.Equal(["1.0"], await session.Registry.ListTagsAsync(repository, ct));
        Assert.Null(await session.Registry.GetManifestAsync(repository, "missing", ct));
    }

    [Fact]
    public async Task PushBlob_Twice_SecondTimeIsSkipped()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var repository = session.Repository("blobs");
        var content = Encoding.UTF8.GetBytes("blob " + Guid.NewGuid());

        var first = await session.Registry.PushBlobAsync(repository, content, null, ct);
        var second = await session.Registry.PushBlobAsync(repository, content, null, ct);

        Assert.True(first.Uploaded);
        Assert.False(second.Uploaded);
        Assert.Equal(OciLayoutImage.Sha256(content), first.Digest);
        Assert.Equal(content, await session.Registry.GetBlobAsync(repository, first.Digest, ct));
    }

    [Fact]
    public async Task PushBlob_WithMountSource_IsMountedFromTheOtherRepository()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("base", "1", ct);
        var layer = await session.Registry.GetBlobAsync(session.Repository("base"), image.LayerDigest, ct);
        var target = session.Repository("app");

        var (digest, uploaded) = await session.Registry.PushBlobAsync(target, layer, $"{session.Project}/base", ct);

        Assert.False(uploaded);
        Assert.Equal(image.LayerDigest, digest);
        Assert.True(await session.Registry.BlobExistsAsync(target, digest, ct));
    }

    [Fact]
    public async Task Referrers_RegistryWithoutReferrersApi_FallBackToTheDigestTag()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("app", "1", ct);
        var repository = session.Repository("app");

        var before = await session.Registry.ListReferrersAsync(repository, image.ManifestDigest, null, ct);

        // A referrer (empty config, subject = the image) and the fallback index that lists it, as OCI 1.1 prescribes.
        await session.Registry.PushBlobAsync(repository, EmptyJson, null, ct);
        var referrer = Referrer(image, "application/vnd.example.test+json");
        var pushed = await session.Registry.PutManifestAsync(repository, OciLayoutImage.Sha256(referrer), referrer, OciMediaTypes.ImageManifest, null, ct);
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciMediaTypes.ImageIndex,
            manifests = new[] { new OciDescriptor(OciMediaTypes.ImageManifest, pushed.Digest, referrer.Length, "application/vnd.example.test+json") },
        });
        await session.Registry.PutManifestAsync(repository, OciDigest.FallbackTag(image.ManifestDigest), index, OciMediaTypes.ImageIndex, null, ct);

        var after = await session.Registry.ListReferrersAsync(repository, image.ManifestDigest, "application/vnd.example.test+json", ct);
        var none = await session.Registry.ListReferrersAsync(repository, image.ManifestDigest, "application/other", ct);

        Assert.True(before.FromFallbackTag);
        Assert.Empty(before.Manifests);
        Assert.True(after.FromFallbackTag);
        Assert.Equal(OciLayoutImage.Sha256(referrer), Assert.Single(after.Manifests).Digest);
        Assert.Empty(none.Manifests);
        Assert.Null(pushed.Subject);
    }

    [Fact]
    public async Task PushReferrer_RegistryWithoutReferrersApi_IsListedThroughTheFallbackIndex()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("app", "1", ct);
        var repository = session.Repository("app");
        await session.Registry.PushBlobAsync(repository, EmptyJson, null, ct);
        byte[] Note(string note) => Referrer(image, "application/vnd.example.note+json", note);

        var first = await session.Registry.PushReferrerAsync(repository, Note("a"), OciMediaTypes.ImageManifest, image.ManifestDigest, "application/vnd.example.note+json", ct);
        var second = await session.Registry.PushReferrerAsync(repository, Note("b"), OciMediaTypes.ImageManifest, image.ManifestDigest, "application/vnd.example.note+json", ct);
        await session.Registry.PushReferrerAsync(repository, Note("a"), OciMediaTypes.ImageManifest, image.ManifestDigest, "application/vnd.example.note+json", ct);

        var referrers = await session.Registry.ListReferrersAsync(repository, image.ManifestDigest, null, ct);
        Assert.True(referrers.FromFallbackTag);
        Assert.Equal(new[] { first.Digest, second.Digest }.Order(), referrers.Manifests.Select(m => m.Digest).Order());
    }

    [Fact]
    public async Task PushReferrer_SimulatorWithReferrersApi_IsConfirmedAndListedWithoutFallbackTag()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry, ServeReferrersApi = true });
        var image = await session.PushImageAsync("app", "1", ct);
        var repository = session.Repository("app");
        await session.Registry.PushBlobAsync(repository, EmptyJson, null, ct);
        var referrer = Referrer(image, "application/vnd.dev.sigstore.bundle.v0.3+json");

        var pushed = await session.Registry.PushReferrerAsync(repository, referrer, OciMediaTypes.ImageManifest, image.ManifestDigest, "application/vnd.dev.sigstore.bundle.v0.3+json", ct);
        var all = await session.Registry.ListReferrersAsync(repository, image.ManifestDigest, null, ct);
        var other = await session.Registry.ListReferrersAsync(repository, image.ManifestDigest, "application/other", ct);

        Assert.Equal(image.ManifestDigest, pushed.Subject);
        Assert.False(all.FromFallbackTag);
        var listed = Assert.Single(all.Manifests);
        Assert.Equal(OciLayoutImage.Sha256(referrer), listed.Digest);
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", listed.ArtifactType);
        Assert.Empty(other.Manifests);
        Assert.DoesNotContain(OciDigest.FallbackTag(image.ManifestDigest), await session.Registry.ListTagsAsync(repository, ct));
        // Harbor counts a sigstore bundle referrer as a cosign signature.
        Assert.Equal("signature.cosign", Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "app", image.ManifestDigest, ct)).Type);
    }

    [Fact]
    public async Task PutManifest_StaleIfMatch_IsIgnoredByDockerRegistry28()
    {
        // Documents why concurrent signers cannot rely on conditional PUTs here (see docs/harbor.md).
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("app", "1", ct);
        var repository = session.Repository("app");

        var result = await session.Registry.PutManifestAsync(repository, "1", image.Manifest, OciMediaTypes.ImageManifest,
            "sha256:" + new string('0', 64), ct);

        Assert.Equal(image.ManifestDigest, result.Digest);
    }

    [Fact]
    public async Task TokenAuth_SimulatorWantsBearerTokens_ClientGetsOneAndReads()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry, RequireRegistryAuth = true });
        var repository = session.Repository("app");
        var content = Encoding.UTF8.GetBytes("token " + Guid.NewGuid());

        var (digest, uploaded) = await session.Registry.PushBlobAsync(repository, content, null, ct);

        Assert.True(uploaded);
        Assert.Equal(content, await session.Registry.GetBlobAsync(repository, digest, ct));
        Assert.NotEmpty(session.Simulator.State.Tokens);
        Assert.All(session.Simulator.State.Tokens.Values, user => Assert.Equal(SimulatorSession.User, user));
    }
}
