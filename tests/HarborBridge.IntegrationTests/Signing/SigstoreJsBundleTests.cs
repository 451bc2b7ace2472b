using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Keys;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// Our Sigstore bundles checked by @sigstore/verify (npm, installed by tests/tools/install-sigstore-js.sh) through
/// tests/tools/sigstore-verify-bundle.js: key-based, no transparency log, plus the statement-subject binding.
/// </summary>
public sealed class SigstoreJsBundleTests : IDisposable
{
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";
    private const string OtherImage = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    private readonly string _work;
    private readonly string _nodeModules;
    private readonly string _script;
    private readonly System.Security.Cryptography.ECDsa _key = SigningKeyFiles.Generate();

    public SigstoreJsBundleTests()
    {
        _nodeModules = Infrastructure.TestEnvironment.Require("HB_TEST_SIGSTORE_JS");
        var tools = Infrastructure.TestEnvironment.Require("HB_TEST_TOOLS");
        _script = Path.Combine(tools, "sigstore-verify-bundle.js");
        var parent = Environment.GetEnvironmentVariable("HB_TEST_WORK") is { Length: > 0 } work ? work : Path.GetTempPath();
        _work = Path.Combine(parent, "sigstore-js-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_work);
    }

    public void Dispose()
    {
        _key.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Theory]
    [InlineData(Predicates.CosignSignV1)]
    [InlineData(Predicates.HarborBridgeDecisionV1)]
    public async Task SigstoreVerify_OurBundle_Verified(string predicateType)
    {
        var bundle = OurBundle(predicateType, Image);

        var (code, output) = await VerifyAsync(bundle, SigningKeyFiles.WritePublicKey(_key), Image);

        Assert.True(code == 0, output);
        Assert.Contains("VERIFIED predicateType=" + predicateType, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreVerify_OtherKey_Rejected()
    {
        using var other = SigningKeyFiles.Generate();

        var (code, output) = await VerifyAsync(OurBundle(Predicates.CosignSignV1, Image), SigningKeyFiles.WritePublicKey(other), Image);

        Assert.Equal(1, code);
        Assert.Contains("REJECTED", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreVerify_OtherImageDigest_Rejected()
    {
        var (code, output) = await VerifyAsync(OurBundle(Predicates.CosignSignV1, Image), SigningKeyFiles.WritePublicKey(_key), OtherImage);

        Assert.Equal(1, code);
        Assert.Contains("do not include", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigstoreVerify_StatementSwappedAfterSigning_RejectedBySignatureCheck()
    {
        var bundle = JsonNode.Parse(OurBundle(Predicates.CosignSignV1, Image))!;
        var forged = new InTotoStatement("harbor.example.com/team/app", OtherImage, Predicates.CosignSignV1, new JsonObject()).ToJson();
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(forged);

        var (code, output) = await VerifyAsync(Encoding.UTF8.GetBytes(bundle.ToJsonString()), SigningKeyFiles.WritePublicKey(_key), OtherImage);

        Assert.Equal(1, code);
        Assert.Contains("SIGNATURE_ERROR", output, StringComparison.Ordinal);
    }

    private byte[] OurBundle(string predicateType, string digest) =>
        SigstoreBundle.Create(new InTotoStatement("harbor.example.com/team/app", digest, predicateType, new JsonObject()).Sign(_key), _key);

    private async Task<(int Code, string Output)> VerifyAsync(byte[] bundle, string publicKeyPem, string digest)
    {
        var name = Guid.NewGuid().ToString("N");
        var bundlePath = Path.Combine(_work, name + ".sigstore.json");
        var keyPath = Path.Combine(_work, name + ".pub");
        await File.WriteAllBytesAsync(bundlePath, bundle);
        await File.WriteAllTextAsync(keyPath, publicKeyPem);
        return await ToolProcess.RunAsync("node", [_script, bundlePath, keyPath, digest], _work,
            new Dictionary<string, string> { ["NODE_PATH"] = _nodeModules });
    }
}
