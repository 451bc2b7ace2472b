using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Keyless;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// Keyless signing against @sigstore/mock's Fulcio and Rekor on 127.0.0.1, with an unsigned fake OIDC token (the mock
/// decodes it without checking a signature); the bundle is verified by @sigstore/verify (tests/tools/
/// sigstore-verify-keyless.js) against the mock's trusted root with the certificate identity and issuer.
/// </summary>
public sealed class KeylessSigningTests : IClassFixture<SigstoreMockServers>, IDisposable
{
    private const string Repository = "harbor.example.com/team/app";
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";
    private const string OtherImage = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
    private const string Issuer = "https://oidc.harborbridge.test";
    private const string Subject = "https://kubernetes.io/namespaces/harbor/serviceaccounts/harborbridge";

    private readonly SigstoreMockServers _mock;
    private readonly ServiceProvider _services;
    private readonly string _work;

    public KeylessSigningTests(SigstoreMockServers mock)
    {
        _mock = mock;
        _services = new ServiceCollection().AddKeylessSigning().BuildServiceProvider();
        _work = Path.Combine(mock.Work, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_work);
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task SignImage_MockFulcioAndRekor_SigstoreVerifyAcceptsWithIdentity()
    {
        var signature = await SignAsync(Image);

        var (code, output) = await VerifyAsync(signature.Bundle, signature.Payload, Image, Subject, Issuer);

        Assert.True(code == 0, output);
        Assert.Contains($"VERIFIED san={Subject} issuer={Issuer}", output, StringComparison.Ordinal);
        var bundle = JsonNode.Parse(signature.Bundle)!;
        Assert.Equal("hashedrekord", (string?)bundle["verificationMaterial"]!["tlogEntries"]![0]!["kindVersion"]!["kind"]);
        Assert.NotNull(bundle["verificationMaterial"]!["tlogEntries"]![0]!["inclusionPromise"]!["signedEntryTimestamp"]);
    }

    // Expected codes are @sigstore/verify's: the policy check, the signature over the artifact, the Rekor SET over
    // the entry (integratedTime moved 1 s later, still inside the certificate's 10-minute validity), and the logged
    // hashedrekord body, which names the original signature.
    [Theory]
    [InlineData("other identity", "UNTRUSTED_SIGNER_ERROR")]
    [InlineData("other issuer", "UNTRUSTED_SIGNER_ERROR")]
    [InlineData("payload of another image", "SIGNATURE_ERROR")]
    [InlineData("edited integratedTime", "TLOG_INCLUSION_PROMISE_ERROR")]
    [InlineData("signature from another signing", "TLOG_BODY_ERROR")]
    public async Task SignImage_Tampered_SigstoreVerifyRejects(string tamper, string expectedCode)
    {
        var signature = await SignAsync(Image);
        var bundle = signature.Bundle;
        var payload = signature.Payload;
        var (subject, issuer, digest) = (Subject, Issuer, Image);
        switch (tamper)
        {
            case "other identity":
                subject = "https://kubernetes.io/namespaces/harbor/serviceaccounts/someone-else";
                break;
            case "other issuer":
                issuer = "https://accounts.example.test";
                break;
            case "payload of another image":
                payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace(Image, OtherImage, StringComparison.Ordinal));
                digest = OtherImage;
                break;
            case "edited integratedTime":
                var edited = JsonNode.Parse(bundle)!;
                var entry = edited["verificationMaterial"]!["tlogEntries"]![0]!;
                entry["integratedTime"] = (long.Parse((string)entry["integratedTime"]!, System.Globalization.CultureInfo.InvariantCulture) + 1)
                    .ToString(System.Globalization.CultureInfo.InvariantCulture);
                bundle = Encoding.UTF8.GetBytes(edited.ToJsonString());
                break;
            case "signature from another signing":
                var other = await SignAsync(Image);
                var swapped = JsonNode.Parse(bundle)!;
                swapped["messageSignature"] = JsonNode.Parse(other.Bundle)!["messageSignature"]!.DeepClone();
                bundle = Encoding.UTF8.GetBytes(swapped.ToJsonString());
                break;
        }

        var (code, output) = await VerifyAsync(bundle, payload, digest, subject, issuer);

        Assert.True(code == 1, output);
        Assert.Contains("REJECTED: " + expectedCode, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignImage_FulcioUnreachable_ClearErrorWithoutToken()
    {
        var token = FakeToken();
        var settings = new KeylessSettings(await WriteTokenAsync(token), "http://127.0.0.1:1", _mock.BaseUrl);

        var error = await Assert.ThrowsAsync<KeylessException>(() =>
            _services.GetRequiredService<KeylessSigner>().SignImageAsync(settings, Repository, Image, CancellationToken.None));

        Assert.StartsWith("Fulcio at http://127.0.0.1:1/api/v2/signingCert is unreachable", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignImage_TokenFileMissing_ClearError()
    {
        var missing = Path.Combine(_work, "no-such-token");
        var settings = new KeylessSettings(missing, _mock.BaseUrl, _mock.BaseUrl);

        var error = await Assert.ThrowsAsync<KeylessException>(() =>
            _services.GetRequiredService<KeylessSigner>().SignImageAsync(settings, Repository, Image, CancellationToken.None));

        Assert.Contains($"Cannot read the identity token file '{missing}'", error.Message, StringComparison.Ordinal);
    }

    private async Task<KeylessSignature> SignAsync(string digest)
    {
        var settings = new KeylessSettings(await WriteTokenAsync(FakeToken()), _mock.BaseUrl, _mock.BaseUrl);
        return await _services.GetRequiredService<KeylessSigner>().SignImageAsync(settings, Repository, digest, CancellationToken.None);
    }

    private static string FakeToken() => SigstoreMockServers.FakeToken(Issuer, Subject);

    private async Task<string> WriteTokenAsync(string token)
    {
        var path = Path.Combine(_work, Guid.NewGuid().ToString("N") + ".jwt");
        await File.WriteAllTextAsync(path, token + "\n");
        return path;
    }

    private async Task<(int Code, string Output)> VerifyAsync(byte[] bundle, byte[] payload, string digest, string subject, string issuer)
    {
        var name = Guid.NewGuid().ToString("N");
        var bundlePath = Path.Combine(_work, name + ".sigstore.json");
        var payloadPath = Path.Combine(_work, name + ".payload");
        await File.WriteAllBytesAsync(bundlePath, bundle);
        await File.WriteAllBytesAsync(payloadPath, payload);
        return await ToolProcess.RunAsync(
            "node",
            [Path.Combine(_mock.Tools, "sigstore-verify-keyless.js"), bundlePath, _mock.TrustedRoot, payloadPath, digest, subject, issuer],
            _work,
            new Dictionary<string, string> { ["NODE_PATH"] = _mock.NodeModules });
    }
}
