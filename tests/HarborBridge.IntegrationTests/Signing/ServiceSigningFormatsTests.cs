using System.Security.Cryptography;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Registry;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>The service's signer (what the sign consumers call) against the real docker-registry (no referrers API) with
/// each <c>HarborBridge:Signing:Format</c> and the decision attestation: what lands in the registry, checked through
/// plain OCI reads and skopeo, and that a redelivered message adds nothing.</summary>
public sealed class ServiceSigningFormatsTests(RegistrySigningFixture fixture) : IClassFixture<RegistrySigningFixture>
{
    private const string BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    private static readonly string ReportDigest = "sha256:" + new string('7', 64);
    private static readonly DateTimeOffset DecidedAt = new(2026, 11, 27, 19, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task SignAsync_BothFormatsWithAttestation_TwiceLeavesOneOfEachAndAllVerify()
    {
        var (name, digest, artifact) = await NewImageAsync("both");
        var signer = Signer(SignatureFormat.Both, attest: true);
        var decision = new SigningDecision("d-1", "pass", "policy-7", ReportDigest, DecidedAt);

        var first = await signer.SignAsync(artifact, decision, TestServices.Timeout());
        var second = await signer.SignAsync(artifact, decision, TestServices.Timeout());

        Assert.True(first.Added);
        Assert.False(second.Added);
        Assert.Equal(first.SignatureReference, second.SignatureReference);
        Assert.Equal(1, await LayerCountAsync(name, Tag(digest, ".sig")));
        var skopeo = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
        Assert.True(skopeo.ExitCode == 0, skopeo.Output);

        var attestation = Assert.Single(await LayerBlobsAsync(name, Tag(digest, ".att")));
        using var envelope = JsonDocument.Parse(attestation);
        using var statement = JsonDocument.Parse(Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!));
        Assert.Equal("https://harborbridge.dev/decision/v1", statement.RootElement.GetProperty("predicateType").GetString());
        var predicate = statement.RootElement.GetProperty("predicate");
        Assert.Equal("policy-7", predicate.GetProperty("policyVersion").GetString());
        Assert.Equal(ReportDigest, predicate.GetProperty("reportDigest").GetString());
        Assert.Equal("pass", predicate.GetProperty("verdict").GetString());

        // No referrers API here: cosign v3's fallback index at tag sha256-<hex> lists the signature and the decision bundle.
        var bundles = await ReferrerBundlesAsync(name, digest);
        Assert.Equal(2, bundles.Count);
        using var publicKey = ECDsa.Create(fixture.OurKey.ExportParameters(false));
        var predicates = bundles.Select(b => SigstoreBundle.Verify(b, digest, [publicKey])).ToList();
        Assert.All(predicates, p => Assert.True(p.IsVerified, p.FailureReason));
        Assert.Equal(
            ["https://harborbridge.dev/decision/v1", "https://sigstore.dev/cosign/sign/v1"],
            predicates.Select(p => p.PredicateType!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SignAsync_DefaultLegacyWithoutAttestation_WritesOnlyTheSigTag()
    {
        var (name, digest, artifact) = await NewImageAsync("legacy");
        var signer = Signer(new SigningOptions().Format, attest: false);

        var signature = await signer.SignAsync(artifact, new SigningDecision("d-2", "warn", "policy-7", ReportDigest, DecidedAt), TestServices.Timeout());

        Assert.Contains(":" + Tag(digest, ".sig") + "@sha256:", signature.SignatureReference, StringComparison.Ordinal);
        Assert.Equal(1, await LayerCountAsync(name, Tag(digest, ".sig")));
        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ".att"), TestServices.Timeout()));
        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ""), TestServices.Timeout()));
    }

    [Fact]
    public async Task SignAsync_BundleOnly_NoSigTagAndBundleVerifies()
    {
        var (name, digest, artifact) = await NewImageAsync("bundle");
        var signer = Signer(SignatureFormat.Bundle, attest: false);

        var signature = await signer.SignAsync(artifact, new SigningDecision("d-3", "pass", "policy-7", ReportDigest, DecidedAt), TestServices.Timeout());

        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ".sig"), TestServices.Timeout()));
        var bundle = Assert.Single(await ReferrerBundlesAsync(name, digest));
        using var publicKey = ECDsa.Create(fixture.OurKey.ExportParameters(false));
        Assert.True(SigstoreBundle.Verify(bundle, digest, [publicKey]).IsVerified);
        Assert.StartsWith($"{fixture.Registry}/{name}@sha256:", signature.SignatureReference, StringComparison.Ordinal);
    }

    private RegistryArtifactSigner Signer(SignatureFormat format, bool attest)
    {
        var (signing, harbor) = fixture.ServiceOptions(format, attest);
        return new RegistryArtifactSigner(fixture.Client, harbor, signing, new SigningKeyProvider(signing), TimeProvider.System);
    }

    private Task<(string Name, string Digest, ArtifactRef Artifact)> NewImageAsync(string prefix) => fixture.NewImageAsync(prefix);

    private static string Tag(string digest, string suffix) => RegistrySigningFixture.Tag(digest, suffix);

    private async Task<int> LayerCountAsync(string name, string tag) => (await LayerBlobsAsync(name, tag)).Count;

    private async Task<List<byte[]>> LayerBlobsAsync(string name, string tag)
    {
        var manifest = await fixture.Client.GetManifestAsync(fixture.Repository(name), tag, TestServices.Timeout());
        Assert.NotNull(manifest);
        using var document = JsonDocument.Parse(manifest.Content);
        var blobs = new List<byte[]>();
        foreach (var layer in document.RootElement.GetProperty("layers").EnumerateArray())
        {
            blobs.Add(await fixture.Client.GetBlobAsync(fixture.Repository(name), layer.GetProperty("digest").GetString()!, TestServices.Timeout()));
        }

        return blobs;
    }

    // Reads the fallback index by its tag, then each bundle manifest and its bundle layer.
    private async Task<List<byte[]>> ReferrerBundlesAsync(string name, string digest)
    {
        var index = await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ""), TestServices.Timeout());
        Assert.NotNull(index);
        using var document = JsonDocument.Parse(index.Content);
        var bundles = new List<byte[]>();
        foreach (var entry in document.RootElement.GetProperty("manifests").EnumerateArray())
        {
            Assert.Equal(BundleType, entry.GetProperty("artifactType").GetString());
            var manifest = await fixture.Client.GetManifestAsync(fixture.Repository(name), entry.GetProperty("digest").GetString()!, TestServices.Timeout());
            using var parsed = JsonDocument.Parse(manifest!.Content);
            Assert.Equal(digest, parsed.RootElement.GetProperty("subject").GetProperty("digest").GetString());
            var layer = Assert.Single(parsed.RootElement.GetProperty("layers").EnumerateArray().ToList());
            bundles.Add(await fixture.Client.GetBlobAsync(fixture.Repository(name), layer.GetProperty("digest").GetString()!, TestServices.Timeout()));
        }

        return bundles;
    }
}
