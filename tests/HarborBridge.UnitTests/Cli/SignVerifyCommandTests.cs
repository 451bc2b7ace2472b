using System.CommandLine;
using HarborBridge.Cli;
using HarborBridge.Signing.Keys;

namespace HarborBridge.UnitTests.Cli;

/// <summary>Bad input to sign/verify is exit 2 with a one-line message, before any registry is contacted
/// (the registry address used here does not exist).</summary>
public sealed class SignVerifyCommandTests : IDisposable
{
    private const string Image = "registry.invalid/team/app@sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-signcli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Sign_Tag_ExitTwoAsksForDigest()
    {
        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: "")), "sign", "registry.invalid/team/app:1", "--key", WriteKey(""));

        Assert.Equal(2, exit);
        Assert.Contains("sign a digest, not a tag", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_PasswordVariableUnset_ExitTwo()
    {
        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: null)), "sign", Image, "--key", WriteKey(""));

        Assert.Equal(2, exit);
        Assert.Contains("COSIGN_PASSWORD", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_MissingKeyFile_ExitTwoNoStackTrace()
    {
        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: "")), "sign", Image, "--key", Path.Combine(_dir, "absent.key"));

        Assert.Equal(2, exit);
        Assert.Contains("absent.key", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_OnlyUsernameSet_ExitTwo()
    {
        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: "", username: "robot")), "sign", Image, "--key", WriteKey(""));

        Assert.Equal(2, exit);
        Assert.Contains("HARBORBRIDGE_REGISTRY_PASSWORD", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_PrivateKeyGivenAsPublicKey_ExitTwo()
    {
        var (exit, error) = await RunAsync(VerifyCommand.Create(Env(password: null)), "verify", Image, "--key", WriteKey(""));

        Assert.Equal(2, exit);
        Assert.Contains("cannot use the public key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_UnknownOutputFormat_ExitTwo()
    {
        var (exit, error) = await RunAsync(VerifyCommand.Create(Env(password: null)), "verify", Image, "--key", WriteKey(""), "--output", "yaml");

        Assert.Equal(2, exit);
        Assert.Contains("--output must be json or text", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_KeyAndKeylessFlags_ExitTwoMutuallyExclusive()
    {
        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: "")), "sign", Image, "--key", WriteKey(""), "--fulcio-url", "https://fulcio.example.test");

        Assert.Equal(2, exit);
        Assert.Contains("--key and the keyless options cannot be combined", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_KeyAndCertificateIdentity_ExitTwoMutuallyExclusive()
    {
        var (exit, error) = await RunAsync(VerifyCommand.Create(Env(password: null)), "verify", Image, "--key", WriteKey(""), "--certificate-identity", "a@example.test");

        Assert.Equal(2, exit);
        Assert.Contains("--key and the keyless options cannot be combined", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sign")]
    [InlineData("verify")]
    public async Task SignOrVerify_NeitherKeyNorKeyless_ExitTwoNamesBoth(string verb)
    {
        var command = verb == "sign" ? SignCommand.Create(Env(password: "")) : VerifyCommand.Create(Env(password: null));

        var (exit, error) = await RunAsync(command, verb, Image);

        Assert.Equal(2, exit);
        Assert.Contains("give --key, or the keyless options", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing-token", "the identity token file")]
    [InlineData("no-rekor", "--rekor-url URL is required")]
    [InlineData("bad-fulcio", "--fulcio-url 'ftp://fulcio.example.test' is not an http(s) URL")]
    [InlineData("bundle-folder", "the folder of --bundle")]
    public async Task SignKeyless_BadInput_ExitTwoBeforeAnyCall(string problem, string message)
    {
        var token = Path.Combine(_dir, "token.jwt");
        await File.WriteAllTextAsync(token, "a.b.c");
        string[] args = problem switch
        {
            "missing-token" => ["sign", Image, "--identity-token", Path.Combine(_dir, "absent.jwt"), "--fulcio-url", "https://f.example.test", "--rekor-url", "https://r.example.test"],
            "no-rekor" => ["sign", Image, "--identity-token", token, "--fulcio-url", "https://f.example.test"],
            "bundle-folder" => ["sign", Image, "--identity-token", token, "--fulcio-url", "https://f.example.test", "--rekor-url", "https://r.example.test",
                "--bundle", Path.Combine(_dir, "absent", "b.json")],
            _ => ["sign", Image, "--identity-token", token, "--fulcio-url", "ftp://fulcio.example.test", "--rekor-url", "https://r.example.test"],
        };

        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: null)), args);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyKeyless_NoTrustedRoot_ExitTwoNamesOptionAndVariable()
    {
        var (exit, error) = await RunAsync(VerifyCommand.Create(Env(password: null)), "verify", Image,
            "--certificate-identity", "a@example.test", "--certificate-oidc-issuer", "https://issuer.example.test");

        Assert.Equal(2, exit);
        Assert.Contains("give --trusted-root FILE or set SIGSTORE_ROOT_FILE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyKeyless_UnreadableTrustedRoot_ExitTwo()
    {
        var root = Path.Combine(_dir, "root.json");
        await File.WriteAllTextAsync(root, "{\"mediaType\":\"application/json\"}");

        var (exit, error) = await RunAsync(VerifyCommand.Create(Env(password: null)), "verify", Image,
            "--certificate-identity", "a@example.test", "--certificate-oidc-issuer", "https://issuer.example.test", "--trusted-root", root);

        Assert.Equal(2, exit);
        Assert.Contains($"cannot use the trusted root {root}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format yaml", "--format must be legacy, bundle or both, not 'yaml'")]
    [InlineData("--format bundle -a build=7", "-a/--annotations is only supported with --format legacy")]
    [InlineData("--format both -a build=7", "-a/--annotations is only supported with --format legacy")]
    public async Task SignWithKey_BadFormatCombination_ExitTwo(string extra, string message)
    {
        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: "")), ["sign", Image, "--key", WriteKey(""), .. extra.Split(' ')]);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignWithKey_FormatFromServiceSettingUnknown_ExitTwo()
    {
        Func<string, string?> env = name => name switch { "COSIGN_PASSWORD" => "", "HarborBridge__Signing__Format" => "sig", _ => null };

        var (exit, error) = await RunAsync(SignCommand.Create(env), "sign", Image, "--key", WriteKey(""));

        Assert.Equal(2, exit);
        Assert.Contains("--format must be legacy, bundle or both, not 'sig'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignKeyless_BundleFormat_ExitTwoLegacyOnly()
    {
        var token = Path.Combine(_dir, "token.jwt");
        await File.WriteAllTextAsync(token, "a.b.c");

        var (exit, error) = await RunAsync(SignCommand.Create(Env(password: null)), "sign", Image, "--identity-token", token,
            "--fulcio-url", "https://f.example.test", "--rekor-url", "https://r.example.test", "--format", "bundle");

        Assert.Equal(2, exit);
        Assert.Contains("keyless signing writes the legacy .sig format only", error, StringComparison.Ordinal);
    }

    private static Func<string, string?> Env(string? password, string? username = null) => name => name switch
    {
        "COSIGN_PASSWORD" => password,
        "HARBORBRIDGE_REGISTRY_USERNAME" => username,
        _ => null,
    };

    private string WriteKey(string password)
    {
        using var key = SigningKeyFiles.Generate();
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(path, SigningKeyFiles.WriteEncryptedPrivateKey(key, System.Text.Encoding.UTF8.GetBytes(password)));
        return path;
    }

    private static async Task<(int Exit, string Error)> RunAsync(Command command, params string[] args)
    {
        var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await new RootCommand { command }.Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, timeout.Token);
        return (exit, error.ToString());
    }
}
