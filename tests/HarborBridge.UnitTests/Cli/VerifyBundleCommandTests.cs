using System.CommandLine;
using HarborBridge.Cli;
using HarborBridge.Signing.Keys;

namespace HarborBridge.UnitTests.Cli;

/// <summary><c>verify-bundle</c> bad input is exit 2 with a one-line message naming what is wrong, before anything is verified.</summary>
public sealed class VerifyBundleCommandTests : IDisposable
{
    private const string Digest = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
    private static readonly string Cases = Path.Combine(AppContext.BaseDirectory, "fixtures", "signing", "sigstore-conformance", "bundle-verify");
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-verifybundle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("key-and-identity", "--key cannot be combined with --certificate-identity")]
    [InlineData("issuer-missing", "give --certificate-identity and --certificate-oidc-issuer, or --key")]
    [InlineData("no-root", "give --trusted-root FILE or set SIGSTORE_ROOT_FILE")]
    [InlineData("staging", "--staging needs --trusted-root")]
    [InlineData("missing-bundle", "cannot read an input file")]
    [InlineData("missing-artifact", "cannot read an input file")]
    [InlineData("private-key", "cannot use the public key")]
    public async Task VerifyBundle_BadInput_ExitTwo(string problem, string message)
    {
        var bundle = Path.Combine(Cases, "happy-path-v0.3", "bundle.sigstore.json");
        var root = Path.Combine(AppContext.BaseDirectory, "fixtures", "signing", "cosign", "trusted_root_pgi.json");
        string[] identity = ["--certificate-identity", "a@example.test", "--certificate-oidc-issuer", "https://issuer.example.test"];
        string[] args = problem switch
        {
            "key-and-identity" => ["--bundle", bundle, "--key", PublicKeyFile(), .. identity, Digest],
            "issuer-missing" => ["--bundle", bundle, "--certificate-identity", "a@example.test", "--trusted-root", root, Digest],
            "no-root" => ["--bundle", bundle, .. identity, Digest],
            "staging" => ["--staging", "--bundle", bundle, .. identity, Digest],
            "missing-bundle" => ["--bundle", Path.Combine(_dir, "absent.json"), .. identity, "--trusted-root", root, Digest],
            "missing-artifact" => ["--bundle", bundle, .. identity, "--trusted-root", root, Path.Combine(_dir, "absent.txt")],
            _ => ["--bundle", bundle, "--key", PrivateKeyFile(), Digest],
        };

        var (exit, _, error) = await RunAsync(["verify-bundle", .. args]);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    private string PublicKeyFile()
    {
        using var key = SigningKeyFiles.Generate();
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".pub");
        File.WriteAllText(path, SigningKeyFiles.WritePublicKey(key));
        return path;
    }

    private string PrivateKeyFile()
    {
        using var key = SigningKeyFiles.Generate();
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(path, SigningKeyFiles.WriteEncryptedPrivateKey(key, "x"u8.ToArray()));
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await new RootCommand { VerifyBundleCommand.Create(_ => null, TimeProvider.System) }.Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, timeout.Token);
        return (exit, output.ToString(), error.ToString());
    }
}
