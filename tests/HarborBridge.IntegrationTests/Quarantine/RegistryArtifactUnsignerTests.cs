using System.Security.Cryptography;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Signing;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Registry;

namespace HarborBridge.IntegrationTests.Quarantine;

/// <summary>The <c>unsign</c> strategy with Sigstore bundle referrers, against the real docker-registry (no referrers
/// API, so the referrers live in the <c>sha256-&lt;hex&gt;</c> fallback index): HarborBridge's bundles go, another
/// signer's bundle stays byte for byte, and signing again (what a release does) brings ours back.</summary>
public sealed class RegistryArtifactUnsignerTests(RegistrySigningFixture fixture) : IClassFixture<RegistrySigningFixture>
{
    private static readonly DateTimeOffset DecidedAt = new(2026, 11, 28, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RemoveOwnSignatures_OursAndAnotherSignersBundles_OnlyOursRemovedAndReleaseSignsAgain()
    {
        var ct = TestServices.Timeout(120);
        var (name, digest, artifact) = await NewImageAsync("unsign-both");
        var (signer, unsigner) = Services(SignatureFormat.Both);
        // Ours: the .sig layer, the decision .att layer, and two bundles (signature + decision attestation).
        await signer.SignAsync(artifact, Decision("d-1"), ct);
        await new BundleReferrerSigner(fixture.Client, TimeProvider.System).SignAsync(fixture.Repository(name), digest, fixture.SecondKey, ct);
        var before = await FallbackEntriesAsync(name, digest);
        Assert.Equal(3, before.Count);
        var theirs = Assert.Single(before, e => Verifies(e.Bundle, digest, fixture.SecondKey)).Bundle;

        var removal = await unsigner.RemoveOwnSignaturesAsync(artifact, ct);

        Assert.Equal(new SignatureRemoval(SignaturesRemoved: 1, AttestationsRemoved: 1, OthersKept: 1, BundlesRemoved: 2), removal);
        var after = Assert.Single(await FallbackEntriesAsync(name, digest));
        Assert.Equal(theirs, after.Bundle);
        foreach (var ours in before.Where(e => Verifies(e.Bundle, digest, fixture.OurKey)))
        {
            Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), ours.Manifest, ct));
        }

        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ".sig"), ct));
        Assert.Equal(new SignatureRemoval(0, 0, 1, 0), await unsigner.RemoveOwnSignaturesAsync(artifact, ct));

        await signer.SignAsync(artifact, Decision("release-1"), ct);

        var resigned = await FallbackEntriesAsync(name, digest);
        Assert.Equal(2, resigned.Count(e => Verifies(e.Bundle, digest, fixture.OurKey)));
        Assert.Equal(theirs, Assert.Single(resigned, e => Verifies(e.Bundle, digest, fixture.SecondKey)).Bundle);
    }

    [Fact]
    public async Task RemoveOwnSignatures_OnlyOurBundle_FallbackIndexIsDeleted()
    {
        var ct = TestServices.Timeout(120);
        var (name, digest, artifact) = await NewImageAsync("unsign-bundle");
        var (signer, unsigner) = Services(SignatureFormat.Bundle, attest: false);
        await signer.SignAsync(artifact, Decision("d-2"), ct);
        Assert.Single(await FallbackEntriesAsync(name, digest));

        var removal = await unsigner.RemoveOwnSignaturesAsync(artifact, ct);

        Assert.Equal(new SignatureRemoval(0, 0, 0, 1), removal);
        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ""), ct));
        Assert.NotNull(await fixture.Client.HeadManifestAsync(fixture.Repository(name), digest, ct)); // the image itself stays
    }

    private static SigningDecision Decision(string id) => new(id, "pass", "policy-7", "sha256:" + new string('7', 64), DecidedAt);

    private (RegistryArtifactSigner Signer, RegistryArtifactUnsigner Unsigner) Services(SignatureFormat format, bool attest = true)
    {
        var (signing, harbor) = fixture.ServiceOptions(format, attest);
        var keys = new SigningKeyProvider(signing);
        return (new RegistryArtifactSigner(fixture.Client, harbor, signing, keys, TimeProvider.System), new RegistryArtifactUnsigner(fixture.Client, harbor, keys));
    }

    private Task<(string Name, string Digest, ArtifactRef Artifact)> NewImageAsync(string prefix) => fixture.NewImageAsync(prefix);

    private static string Tag(string digest, string suffix) => RegistrySigningFixture.Tag(digest, suffix);

    private static bool Verifies(byte[] bundle, string digest, ECDsa key)
    {
        using var publicKey = ECDsa.Create(key.ExportParameters(false));
        return SigstoreBundle.Verify(bundle, digest, [publicKey]).IsVerified;
    }

    // The fallback index read with plain OCI calls (not the code under test): each entry's manifest digest and bundle.
    private async Task<List<(string Manifest, byte[] Bundle)>> FallbackEntriesAsync(string name, string digest)
    {
        var index = await fixture.Client.GetManifestAsync(fixture.Repository(name), Tag(digest, ""), TestServices.Timeout());
        if (index is null)
        {
            return [];
        }

        using var document = JsonDocument.Parse(index.Content);
        var entries = new List<(string, byte[])>();
        foreach (var entry in document.RootElement.GetProperty("manifests").EnumerateArray())
        {
            var manifest = entry.GetProperty("digest").GetString()!;
            entries.Add((manifest, await BundleOfAsync(name, manifest)));
        }

        return entries;
    }

    private async Task<byte[]> BundleOfAsync(string name, string manifestDigest)
    {
        var manifest = await fixture.Client.GetManifestAsync(fixture.Repository(name), manifestDigest, TestServices.Timeout());
        Assert.NotNull(manifest);
        using var parsed = JsonDocument.Parse(manifest.Content);
        var layer = Assert.Single(parsed.RootElement.GetProperty("layers").EnumerateArray().ToList());
        return await fixture.Client.GetBlobAsync(fixture.Repository(name), layer.GetProperty("digest").GetString()!, TestServices.Timeout());
    }
}
