using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Options;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>The service's signer (RegistryArtifactSigner, as the sign consumers use it) against the Harbor simulator in
/// front of the real registry, in a project that enforces cosign signatures on pull: Harbor records the signature as a signature.cosign accessory.</summary>
public sealed class HarborSigningTests
{
    [Fact]
    public async Task SignAsync_ThroughHarborWithCosignPullPolicy_HarborListsSignatureAccessoryAndItVerifies()
    {
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(
            new HarborSimulatorOptions { RegistryAddress = TestServices.Registry },
            new Dictionary<string, string> { ["enable_content_trust_cosign"] = "true" });
        var image = await session.PushImageAsync("api", "1", ct);
        var keyFile = Path.Combine(session.WorkDir, "service.key");
        using (var key = SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes("pw")), ct);
        }

        var keys = new SigningKeyProvider(Options.Create(new SigningOptions { KeyFile = keyFile, KeyPassword = "pw" }));
        var signer = new RegistryArtifactSigner(session.Registry, Options.Create(new HarborOptions { Url = session.Simulator.Url.ToString() }),
            Options.Create(new SigningOptions { Attest = false }), keys, TimeProvider.System);
        var artifact = new ArtifactRef(session.Project, "api", image.ManifestDigest);

        var signature = await signer.SignAsync(artifact, new SigningDecision("d-1", "pass", "policy-1", "sha256:" + new string('0', 64), DateTimeOffset.UnixEpoch), ct);
        var check = await signer.VerifyAsync(artifact, ct);

        Assert.True(check.Verified, check.Explanation);
        var accessory = Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "api", image.ManifestDigest, ct));
        Assert.Equal("signature.cosign", accessory.Type);
        Assert.EndsWith("@" + accessory.Digest, signature.SignatureReference, StringComparison.Ordinal);
    }
}
