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
