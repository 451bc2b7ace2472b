using HarborBridge.Core.Webhooks;

namespace HarborBridge.UnitTests.Webhooks;

public sealed class WebhookLoopFilterTests
{
    private readonly WebhookLoopFilter _filter = new(["robot$platform+harborbridge"], @"^robot\$.+-Trivy-");

    private static HarborWebhookEvent Load(string name)
    {
        var path = Fixtures.PathOf("harbor", "webhooks", name);
        return HarborWebhookParser.Parse(File.ReadAllBytes(path), Fixtures.IsCloudEvents(path) ? WebhookPayloadFormat.CloudEvents : WebhookPayloadFormat.Default);
    }

    [Theory]
    [InlineData("reconstructed/push_artifact.cosign-signature-tag.default.json", "signature")]
    [InlineData("reconstructed/pull_artifact.by-scanner-robot.default.json", "scanner robot")]
    [InlineData("docs/pull_artifact.default.json", "scanner robot")]
    public void IgnoreReason_LoopEvent_IsIgnored(string name, string reason)
    {
        Assert.Contains(reason, _filter.IgnoreReason(Load(name)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("reconstructed/push_artifact.by-tag.default.json")]
    [InlineData("docs/push_artifact.cloudevents.json")]
    [InlineData("harbor-source/pull_artifact.default.code-comment.json")]
    [InlineData("reconstructed/scanning_completed.vulnerability.default.json")]
    [InlineData("reconstructed/scanning_failed.default.json")]
    [InlineData("reconstructed/scanning_completed.sbom.default.json")] // recorded, not decided: WebhookMessagesTests
    [InlineData("docs/quota_exceed.default.json")]
    public void IgnoreReason_OrdinaryEvent_IsProcessed(string name)
    {
        Assert.Null(_filter.IgnoreReason(Load(name)));
    }

    [Fact]
    public void IgnoreReason_PushByIgnoredOperator_IsIgnored()
    {
        var push = Load("reconstructed/push_artifact.by-tag.default.json") with { Operator = "robot$platform+harborbridge" };

        Assert.Contains("IgnoredOperators", _filter.IgnoreReason(push), StringComparison.Ordinal);
    }

    [Fact]
    public void IgnoreReason_UnknownType_IsIgnoredForForwardCompatibility()
    {
        var unknown = Load("reconstructed/push_artifact.by-tag.default.json") with { Type = HarborEventType.Unknown };

        Assert.NotNull(_filter.IgnoreReason(unknown));
    }

    private static readonly string Hex64 = new('a', 64);

    [Theory]
    [InlineData("sha256-{64}.sig", true)]
    [InlineData("sha256-{64}.att", true)]
    [InlineData("sha256-{64}.sbom", true)]
    [InlineData("sha256-{64}", false)] // shaped like the OCI referrers fallback tag: judged by its manifest, not its tag
    [InlineData("sha384-{96}.sig", true)]
    [InlineData("sha512-{128}.att", true)]
    [InlineData("sha256-cafe", false)] // audit #3: a pusher could skip scanning with such a tag
    [InlineData("sha256-cafe.sig", false)]
    [InlineData("sha256-{64}.sig\n", false)] // a trailing newline is not the cosign tag
    [InlineData("sha256-{64}.txt", false)]
    [InlineData("sha384-{64}.sig", false)] // hex of the wrong length for the algorithm
    [InlineData("v1.2.3", false)]
    public void IsAccessoryTag_OnlyWholeDigestsWithCosignSuffixes(string pattern, bool accessory)
    {
        var tag = pattern.Replace("{64}", Hex64, StringComparison.Ordinal).Replace("{96}", new string('b', 96), StringComparison.Ordinal)
            .Replace("{128}", new string('c', 128), StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);

        Assert.Equal(accessory, WebhookLoopFilter.IsAccessoryTag(tag));
    }

    [Theory]
    [InlineData("sha256-{64}", true)]
    [InlineData("sha512-{128}", true)]
    [InlineData("sha256-{64}.sig", false)]
    [InlineData("sha256-cafe", false)]
    [InlineData("sha256-{64}\\n", false)]
    [InlineData("latest", false)]
    public void IsReferrersFallbackTag_WholeDigestWithoutSuffix(string pattern, bool fallback)
    {
        var tag = pattern.Replace("{64}", Hex64, StringComparison.Ordinal).Replace("{128}", new string('c', 128), StringComparison.Ordinal)
            .Replace("\\n", "\n", StringComparison.Ordinal);

        Assert.Equal(fallback, WebhookLoopFilter.IsReferrersFallbackTag(tag));
    }

    [Fact]
    public void IgnoreReason_PushWithReferrersFallbackShapedTag_IsNotIgnored()
    {
        // Anybody can push an image as sha256-<64 hex>; the scan path judges it by its manifest (audit #3).
        var push = Load("reconstructed/push_artifact.by-tag.default.json");
        push = push with { Resources = [.. push.Resources.Select(r => r with { Tag = "sha256-" + Hex64 })] };

        Assert.Null(_filter.IgnoreReason(push));
    }

    [Fact]
    public void IgnoreReason_PushWithShortShaTag_IsScanned()
    {
        var push = Load("reconstructed/push_artifact.by-tag.default.json");
        push = push with { Resources = [.. push.Resources.Select(r => r with { Tag = "sha256-cafe" })] };

        Assert.Null(_filter.IgnoreReason(push));
    }

    [Fact]
    public void IgnoreReason_ScanOfAnAttestation_IsIgnored()
    {
        // Harbor scans an `.att` on push (only `.sig` is an accessory there); deciding it would sign it and loop.
        var scan = Load("reconstructed/scanning_completed.vulnerability.default.json");
        scan = scan with { Resources = [.. scan.Resources.Select(r => r with { Tag = $"sha256-{Hex64}.att" })] };

        Assert.Contains("accessories are never decided", _filter.IgnoreReason(scan), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json"},"layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":1}}""", true)]
    [InlineData("""{"schemaVersion":2,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json"},"layers":[]}""", true)]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[{"mediaType":"application/vnd.dsse.envelope.v1+json"}]}""", true)]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json"}]}""", true)]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip"}]}""", false)]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}""", false)]
    // A superseded referrers fallback index: every entry a Sigstore bundle or DSSE attestation (artifactType).
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":1,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cc","size":1,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}""", true)]
    // A multi-platform image index (no artifactType), and one that mixes a platform image with a bundle: scanned.
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dd","size":1,"platform":{"architecture":"amd64","os":"linux"}}]}""", false)]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dd","size":1},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":1,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}""", false)]
    [InlineData("not json", false)]
    public void IsAccessoryManifest_JudgedByTheManifestItself(string manifest, bool accessory) =>
        Assert.Equal(accessory, WebhookLoopFilter.IsAccessoryManifest(System.Text.Encoding.UTF8.GetBytes(manifest)));
}
