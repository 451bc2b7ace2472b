using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Cli;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing;
using HarborBridge.Signing.Oci;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// `harborbridge sign` keyless against @sigstore/mock's Fulcio and Rekor (127.0.0.1) into the real docker-registry,
/// then `harborbridge verify` keyless with the mock's trusted root, and @sigstore/verify on the bundle the CLI wrote.
/// The mock's certificates carry the token's `sub` as a URI SAN and its `iss` in the issuer extension.
/// </summary>
public sealed class KeylessCliTests(SigstoreMockServers mock, RegistrySigningFixture registry)
    : IClassFixture<SigstoreMockServers>, IClassFixture<RegistrySigningFixture>
{
    private const string Issuer = "https://oidc.harborbridge.test";
    private const string Subject = "https://kubernetes.io/namespaces/harbor/serviceaccounts/harborbridge";

    [Fact]
    public async Task SignKeyless_MockSigstore_CliVerifiesAndSigstoreJsAcceptsTheBundle()
    {
        var (image, digest) = await PushAsync("keyless");
        var bundleFile = Path.Combine(mock.Work, Guid.NewGuid().ToString("N") + ".sigstore.json");

        var sign = await SignAsync(image, digest, "--bundle", bundleFile);

        Assert.True(sign.Exit == 0, sign.Error);
        Assert.Contains("Pushed keyless signature", sign.Output, StringComparison.Ordinal);
        var verify = await VerifyAsync($"{image}@{digest}", Subject, Issuer);
        Assert.True(verify.Exit == 0, verify.Error);
        var payloads = JsonNode.Parse(verify.Output)!.AsArray();
        Assert.Equal(digest, (string?)Assert.Single(payloads)!["critical"]!["image"]!["docker-manifest-digest"]);
        Assert.Contains($"certificate identity is {Subject}", verify.Error, StringComparison.Ordinal);

        // The .sig layer as cosign v2 writes it keyless, and @sigstore/verify on the bundle file with that layer's payload.
        var (payload, annotations) = await SignatureLayerAsync(image, digest);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", annotations["dev.sigstore.cosign/certificate"], StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", annotations["dev.sigstore.cosign/chain"], StringComparison.Ordinal);
        Assert.Contains("SignedEntryTimestamp", annotations["dev.sigstore.cosign/bundle"], StringComparison.Ordinal);
        var payloadFile = Path.Combine(mock.Work, Guid.NewGuid().ToString("N") + ".payload");
        await File.WriteAllBytesAsync(payloadFile, payload);
        var (code, output) = await ToolProcess.RunAsync(
            "node",
            [Path.Combine(mock.Tools, "sigstore-verify-keyless.js"), bundleFile, mock.TrustedRoot, payloadFile, digest, Subject, Issuer],
            mock.Work,
            new Dictionary<string, string> { ["NODE_PATH"] = mock.NodeModules });
        Assert.True(code == 0, output);
        Assert.Contains($"VERIFIED san={Subject} issuer={Issuer}", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://kubernetes.io/namespaces/harbor/serviceaccounts/someone-else", Issuer,
        "the certificate identity is 'https://kubernetes.io/namespaces/harbor/serviceaccounts/harborbridge', not 'https://kubernetes.io/namespaces/harbor/serviceaccounts/someone-else'")]
    [InlineData(Subject, "https://accounts.example.test",
        "the certificate's OIDC issuer is 'https://oidc.harborbridge.test', not 'https://accounts.example.test'")]
    public async Task VerifyKeyless_WrongIdentityOrIssuer_ExitOneWithReason(string identity, string issuer, string reason)
    {
        var (image, digest) = await PushAsync("keyless-wrong");
        Assert.Equal(0, (await SignAsync(image, digest)).Exit);

        var verify = await VerifyAsync($"{image}@{digest}", identity, issuer);

        Assert.Equal(1, verify.Exit);
        Assert.Contains(reason, verify.Error, StringComparison.Ordinal);
        Assert.Equal("", verify.Output);
    }

    [Fact]
    public async Task VerifyKeyless_KeySignedImageOnly_ExitOneNotKeyless()
    {
        var (image, digest) = await PushAsync("keyless-keyonly");
        var payload = Encoding.UTF8.GetBytes(
            $$"""{"critical":{"identity":{"docker-reference":"{{image}}"},"image":{"docker-manifest-digest":"{{digest}}"},"type":"cosign container image signature"},"optional":null}""");
        await registry.PutSignatureAsync(image[(registry.Registry.Length + 1)..], digest, payload, Convert.ToBase64String(EcdsaSignatures.Sign(registry.OurKey, payload)));

        var verify = await VerifyAsync($"{image}@{digest}", Subject, Issuer);

        Assert.Equal(1, verify.Exit);
        Assert.Contains("not a keyless signature", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyKeyless_BundleReferrerInRegistry_RightIdentityOnly_NotMovedToAnotherImage()
    {
        const string cosignSign = "https://sigstore.dev/cosign/sign/v1";
        const string someoneElse = "https://kubernetes.io/namespaces/harbor/serviceaccounts/someone-else";
        var name = RegistrySigningFixture.NewRepositoryName("keyless-referrer");
        var digest = await registry.PushImageAsync(name, "v1");
        var other = await registry.PushImageAsync(name, "v2");
        var image = $"{registry.Registry}/{name}";
        var repository = registry.Repository(name);
        // A cosign v3 style keyless signature: a DSSE bundle made by sigstore-keyless-bundle.js against the mock, stored
        // only as a referrer (no .sig tag), so whatever verifies was read from the referrer.
        var bundle = await KeylessBundleReferrers.MakeAsync(mock, mock.Work, Issuer, Subject, KeylessBundleReferrers.Statement(image, digest, cosignSign, "{}"));
        await KeylessBundleReferrers.AttachAsync(registry.Client, repository, bundle, cosignSign, digest);
        Assert.Null(await registry.Client.GetManifestAsync(repository, ImageDigest.SignatureTag(digest), TestServices.Timeout()));
        var referrer = await SingleReferrerAsync(repository, digest);

        var right = await VerifyAsync($"{image}@{digest}", Subject, Issuer);
        var wrong = await VerifyAsync($"{image}@{digest}", someoneElse, Issuer);

        Assert.True(right.Exit == 0, right.Error);
        var statement = Assert.Single(JsonNode.Parse(right.Output)!.AsArray())!;
        Assert.Equal(cosignSign, (string?)statement["predicateType"]);
        Assert.Equal(digest["sha256:".Length..], (string?)statement["subject"]![0]!["digest"]!["sha256"]);
        Assert.Contains($"certificate identity is {Subject}", right.Error, StringComparison.Ordinal);
        Assert.Equal(1, wrong.Exit);
        Assert.Contains($"bundle {referrer}: ", wrong.Error, StringComparison.Ordinal);
        Assert.Contains($"the certificate identity is '{Subject}', not '{someoneElse}'", wrong.Error, StringComparison.Ordinal);
        Assert.Equal("", wrong.Output);

        // The same bundle attached to the other image: its statement names the first image only.
        await KeylessBundleReferrers.AttachAsync(registry.Client, repository, bundle, cosignSign, other);
        var moved = await VerifyAsync($"{image}@{other}", Subject, Issuer);

        Assert.Equal(1, moved.Exit);
        Assert.Contains($"do not include the artifact {other}", moved.Error, StringComparison.Ordinal);
        Assert.Equal("", moved.Output);
    }

    private async Task<(string Image, string Digest)> PushAsync(string prefix)
    {
        var name = RegistrySigningFixture.NewRepositoryName(prefix);
        var digest = await registry.PushImageAsync(name, "v1");
        return ($"{registry.Registry}/{name}", digest);
    }

    private async Task<(int Exit, string Output, string Error)> SignAsync(string image, string digest, params string[] extra)
    {
        var token = Path.Combine(mock.Work, Guid.NewGuid().ToString("N") + ".jwt");
        await File.WriteAllTextAsync(token, SigstoreMockServers.FakeToken(Issuer, Subject) + "\n");
        return await RunAsync(SignCommand.Create(_ => null),
            ["sign", $"{image}@{digest}", "--identity-token", token, "--fulcio-url", mock.BaseUrl, "--rekor-url", mock.BaseUrl, "--allow-insecure-registry", .. extra]);
    }

    private Task<(int Exit, string Output, string Error)> VerifyAsync(string reference, string identity, string issuer) =>
        RunAsync(VerifyCommand.Create(_ => null),
            ["verify", reference, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, "--trusted-root", mock.TrustedRoot, "--allow-insecure-registry"]);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(Command command, string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await new RootCommand { command }.Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestServices.Timeout());
        return (exit, output.ToString(), error.ToString());
    }

    // The one manifest the image's referrers fallback index lists (docker-registry has no referrers API).
    private async Task<string> SingleReferrerAsync(HarborBridge.Harbor.Oci.OciRepository repository, string digest)
    {
        var index = await registry.Client.GetManifestAsync(repository, ImageDigest.ReferrersFallbackTag(digest), TestServices.Timeout());
        return (string)Assert.Single(JsonNode.Parse(index!.Content)!["manifests"]!.AsArray())!["digest"]!;
    }

    private async Task<(byte[] Payload, IReadOnlyDictionary<string, string> Annotations)> SignatureLayerAsync(string image, string digest)
    {
        var repository = registry.Repository(image[(registry.Registry.Length + 1)..]);
        var manifest = await registry.Client.GetManifestAsync(repository, ImageDigest.SignatureTag(digest), TestServices.Timeout());
        var layer = Assert.Single(SignatureManifests.ReadLayers(manifest!.Content));
        return (await registry.Client.GetBlobAsync(repository, layer.Digest, TestServices.Timeout()), layer.Annotations);
    }
}
