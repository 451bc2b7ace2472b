using System.CommandLine;
using System.Text.Json;
using HarborBridge.Cli;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Keys;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// <c>harborbridge sign --key --format bundle|both</c> against the real docker-registry (no referrers API, so the bundle
/// referrer is listed in the fallback index <c>sha256-&lt;hex&gt;</c>): the stored bundle is checked by @sigstore/verify
/// (tests/tools/sigstore-verify-bundle.js, not our code), and <c>harborbridge verify --key</c> reads it as cosign verify v3
/// does — accepted with our key, rejected with another key or on another image.
/// </summary>
public sealed class CliBundleFormatTests(RegistrySigningFixture fixture) : IClassFixture<RegistrySigningFixture>
{
    private const string CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1";

    [Fact]
    public async Task CliSignFormatBundle_SigstoreJsVerifies_CliVerifyAcceptsOnlyOurKeyAndImage()
    {
        var name = RegistrySigningFixture.NewRepositoryName("clibundle");
        var digest = await fixture.PushImageAsync(name, "v1");
        var other = await fixture.PushImageAsync(name, "v2");
        var image = $"{fixture.Registry}/{name}@{digest}";

        var (exit, output, error) = await RunAsync(SignCommand.Create(Environment()), "sign", image, "--key", fixture.OurPrivateKey, "--format", "bundle", "--allow-insecure-registry");

        Assert.True(exit == 0, error);
        Assert.Contains("Pushed Sigstore bundle referrer", output, StringComparison.Ordinal);
        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), ImageDigest.SignatureTag(digest), TestServices.Timeout()));
        var (referrer, bundle) = await SingleReferrerAsync(name, digest);
        var sigstore = await SigstoreJsVerifyAsync(bundle, fixture.OurPublicKey, digest);
        Assert.True(sigstore.Code == 0, sigstore.Output);
        Assert.Contains("VERIFIED predicateType=" + CosignSignPredicate, sigstore.Output, StringComparison.Ordinal);

        var ours = await RunAsync(VerifyCommand.Create(Environment()), "verify", image, "--key", fixture.OurPublicKey, "--allow-insecure-registry");
        var otherKey = await RunAsync(VerifyCommand.Create(Environment()), "verify", image, "--key", fixture.OtherPublicKey, "--allow-insecure-registry");

        Assert.True(ours.Exit == 0, ours.Error);
        using (var printed = JsonDocument.Parse(ours.Output))
        {
            var statement = Assert.Single(printed.RootElement.EnumerateArray());
            Assert.Equal(CosignSignPredicate, statement.GetProperty("predicateType").GetString());
            Assert.Equal(digest["sha256:".Length..], statement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString());
        }

        Assert.Equal(1, otherKey.Exit);
        Assert.Contains($"bundle {referrer}: no trusted key has the bundle's key hint", otherKey.Error, StringComparison.Ordinal);

        // The same bundle attached to another image of the repository: its statement names the first image only.
        var subject = await fixture.Client.HeadManifestAsync(fixture.Repository(name), other, TestServices.Timeout());
        var moved = SigstoreBundle.ReferrerManifest(bundle, CosignSignPredicate, subject!.MediaType, other, subject.Size, DateTimeOffset.UnixEpoch);
        await fixture.Client.PushReferrerAsync(fixture.Repository(name), moved, "application/vnd.oci.image.manifest.v1+json", other,
            "application/vnd.dev.sigstore.bundle.v0.3+json", TestServices.Timeout());
        var movedCheck = await RunAsync(VerifyCommand.Create(Environment()), "verify", $"{fixture.Registry}/{name}@{other}", "--key", fixture.OurPublicKey, "--allow-insecure-registry");
        var movedSigstore = await SigstoreJsVerifyAsync(bundle, fixture.OurPublicKey, other);

        Assert.Equal(1, movedCheck.Exit);
        Assert.Contains($"the statement is about {digest}, not about {other}", movedCheck.Error, StringComparison.Ordinal);
        Assert.Equal(1, movedSigstore.Code);
        Assert.Contains("do not include", movedSigstore.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliSignFormatBoth_WritesSigAndBundle_SkopeoAndCliVerify()
    {
        var name = RegistrySigningFixture.NewRepositoryName("cliboth");
        var digest = await fixture.PushImageAsync(name, "v1");
        var image = $"{fixture.Registry}/{name}@{digest}";

        var (exit, _, error) = await RunAsync(SignCommand.Create(Environment()), "sign", image, "--key", fixture.OurPrivateKey, "--format", "both", "--allow-insecure-registry");

        Assert.True(exit == 0, error);
        var skopeo = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
        Assert.True(skopeo.ExitCode == 0, skopeo.Output);
        var (_, bundle) = await SingleReferrerAsync(name, digest);
        Assert.Equal(0, (await SigstoreJsVerifyAsync(bundle, fixture.OurPublicKey, digest)).Code);
        var verify = await RunAsync(VerifyCommand.Create(Environment()), "verify", image, "--key", fixture.OurPublicKey, "--allow-insecure-registry");
        Assert.True(verify.Exit == 0, verify.Error);
        using var printed = JsonDocument.Parse(verify.Output);
        // The .sig payload and the bundle's statement.
        Assert.Equal(2, printed.RootElement.GetArrayLength());
    }

    // The fallback index of the image (docker-registry has no referrers API) and the one bundle blob it leads to.
    private async Task<(string Referrer, byte[] Bundle)> SingleReferrerAsync(string name, string digest)
    {
        var repository = fixture.Repository(name);
        var index = await fixture.Client.GetManifestAsync(repository, ImageDigest.ReferrersFallbackTag(digest), TestServices.Timeout());
        using var document = JsonDocument.Parse(index!.Content);
        var entry = Assert.Single(document.RootElement.GetProperty("manifests").EnumerateArray());
        var referrer = entry.GetProperty("digest").GetString()!;
        var manifest = await fixture.Client.GetManifestAsync(repository, referrer, TestServices.Timeout());
        using var parsed = JsonDocument.Parse(manifest!.Content);
        var layer = Assert.Single(parsed.RootElement.GetProperty("layers").EnumerateArray());
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", layer.GetProperty("mediaType").GetString());
        return (referrer, await fixture.Client.GetBlobAsync(repository, layer.GetProperty("digest").GetString()!, TestServices.Timeout()));
    }

    private async Task<(int Code, string Output)> SigstoreJsVerifyAsync(byte[] bundle, string publicKeyFile, string digest)
    {
        var nodeModules = Infrastructure.TestEnvironment.Require("HB_TEST_SIGSTORE_JS");
        var script = Path.Combine(Infrastructure.TestEnvironment.Require("HB_TEST_TOOLS"), "sigstore-verify-bundle.js");
        var bundlePath = Path.Combine(fixture.WorkDirectory, Guid.NewGuid().ToString("N") + ".sigstore.json");
        await File.WriteAllBytesAsync(bundlePath, bundle);
        return await ToolProcess.RunAsync("node", [script, bundlePath, publicKeyFile, digest], fixture.WorkDirectory,
            new Dictionary<string, string> { ["NODE_PATH"] = nodeModules });
    }

    private static Func<string, string?> Environment() =>
        name => name == KeysCommand.PasswordVariable ? RegistrySigningFixture.KeyPassword : null;

    private static async Task<(int Exit, string Output, string Error)> RunAsync(Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await new RootCommand { command }.Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestServices.Timeout());
        return (exit, output.ToString(), error.ToString());
    }
}
