using HarborBridge.Core.Artifacts;
using NSubstitute;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Harbor;
using HarborBridge.ArtifactSigning;
using HarborBridge.Hosting;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing;
using HarborBridge.Signing.Registry;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// `HarborBridge:Signing:Mode = keyless` through the sign consumer (MassTransit test harness, the service's
/// AddArtifactSigning registration): ArtifactApproved → keyless `.sig` in the real docker-registry, signed with
/// @sigstore/mock's Fulcio and Rekor → ArtifactSigned. Checked independently with our keyless verifier and the mock's
/// trusted root; a redelivered message adds no second layer.
/// </summary>
public sealed class KeylessPipelineSigningTests(SigstoreMockServers mock, RegistrySigningFixture registry)
    : IClassFixture<SigstoreMockServers>, IClassFixture<RegistrySigningFixture>
{
    private const string Issuer = "https://oidc.harborbridge.test";
    private const string Subject = "https://kubernetes.io/namespaces/harbor/serviceaccounts/harborbridge";

    [Fact]
    public async Task ArtifactApproved_KeylessMode_SignsVerifiablyOncePublishesArtifactSigned()
    {
        var name = RegistrySigningFixture.NewRepositoryName("pipeline-keyless");
        var digest = await registry.PushImageAsync(name, "v1");
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var artifact = new ArtifactRef(name[..slash], name[(slash + 1)..], digest);
        await using var provider = await StartAsync();
        var harness = provider.GetRequiredService<ITestHarness>();
        var approved = new ArtifactApproved("decision-keyless", artifact, "v1", "policy-7", "sha256:" + new string('b', 64), DateTimeOffset.UnixEpoch);

        await harness.Bus.Publish(approved, TestServices.Timeout());
        Assert.True(await harness.Published.Any<ArtifactSigned>(TestServices.Timeout()),
            "no ArtifactSigned: " + string.Join("; ", harness.Published.Select<Fault<ArtifactApproved>>().SelectMany(f => f.Context.Message.Exceptions).Select(e => e.Message)));
        await harness.Bus.Publish(approved, TestServices.Timeout());
        Assert.True(await harness.Consumed.Any<ArtifactApproved>(m => m.Context.Message == approved, TestServices.Timeout()));
        await WaitForAsync(() => harness.Published.Select<ArtifactSigned>().Count() == 2);

        var signed = harness.Published.Select<ArtifactSigned>().First().Context.Message;
        Assert.StartsWith($"{registry.Registry}/{name}:{ImageDigest.SignatureTag(digest)}@sha256:", signed.SignatureReference, StringComparison.Ordinal);
        Assert.False(await harness.Published.Any<Fault<ArtifactApproved>>());
        var trust = KeylessTrust.FromTrustedRoot(await File.ReadAllBytesAsync(mock.TrustedRoot));
        var verification = await new RegistrySignatureVerifier(registry.Client).VerifyKeylessAsync(
            registry.Repository(name), digest, $"{registry.Registry}/{name}", new KeylessPolicy(Subject, Issuer, trust), TestServices.Timeout());
        Assert.NotNull(verification);
        Assert.True(verification.IsVerified, verification.Explain());
        var manifest = await registry.Client.GetManifestAsync(registry.Repository(name), ImageDigest.SignatureTag(digest), TestServices.Timeout());
        using var document = JsonDocument.Parse(manifest!.Content);
        Assert.Equal(1, document.RootElement.GetProperty("layers").GetArrayLength());
    }

    private async Task<ServiceProvider> StartAsync()
    {
        var token = Path.Combine(mock.Work, Guid.NewGuid().ToString("N") + ".jwt");
        await File.WriteAllTextAsync(token, SigstoreMockServers.FakeToken(Issuer, Subject) + "\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = $"http://{registry.Registry}/",
            ["HarborBridge:Signing:Mode"] = "keyless",
            ["HarborBridge:Signing:IdentityTokenFile"] = token,
            ["HarborBridge:Signing:FulcioUrl"] = mock.BaseUrl,
            ["HarborBridge:Signing:RekorUrl"] = mock.BaseUrl,
            ["HarborBridge:Signing:TrustedRootFile"] = mock.TrustedRoot,
        }).Build();
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddHarborClients(configuration)
            .AddSigning()
            .AddSingleton(Substitute.For<IDecisionStore>()) // no record of the artifact: signing is not held back
            .AddSingleton(Substitute.For<IArtifactStore>()) // where the signer records the signatures it wrote
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(10));
                x.AddArtifactSigning();
            })
            .BuildServiceProvider(true);
        await provider.GetRequiredService<ITestHarness>().Start();
        return provider;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(100, timeout.Token);
        }
    }
}
