using System.CommandLine;
using System.Security.Cryptography;
using HarborBridge.Cli;
using HarborBridge.Signing.Keys;

namespace HarborBridge.UnitTests.Cli;

public sealed class KeysCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-keys-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Generate_PasswordSet_WritesEncryptedKeyAndMatchingPub()
    {
        var prefix = Path.Combine(_dir, "cosign");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await KeysCommand.GenerateAsync(prefix, "s3cret", output, error, _timeout.Token);

        Assert.Equal(0, code);
        Assert.Contains(prefix + ".key", output.ToString(), StringComparison.Ordinal);
        var keyText = await File.ReadAllTextAsync(prefix + ".key", _timeout.Token);
        Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", keyText, StringComparison.Ordinal);
        using var key = SigningKeyFiles.LoadPrivateKey(keyText, "s3cret");
        using var pub = ECDsa.Create();
        pub.ImportFromPem(await File.ReadAllTextAsync(prefix + ".pub", _timeout.Token));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), pub.ExportSubjectPublicKeyInfo());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
        }
    }

    [Fact]
    public async Task Generate_EmptyPassword_Allowed()
    {
        var prefix = Path.Combine(_dir, "empty");

        var code = await KeysCommand.GenerateAsync(prefix, string.Empty, TextWriter.Null, TextWriter.Null, _timeout.Token);

        Assert.Equal(0, code);
        using var key = SigningKeyFiles.LoadPrivateKey(await File.ReadAllTextAsync(prefix + ".key", _timeout.Token), string.Empty);
    }

    [Fact]
    public async Task Generate_PasswordVariableUnset_Exit2AndNoFiles()
    {
        var prefix = Path.Combine(_dir, "nopw");
        using var error = new StringWriter();

        var code = await KeysCommand.GenerateAsync(prefix, null, TextWriter.Null, error, _timeout.Token);

        Assert.Equal(2, code);
        Assert.Contains("COSIGN_PASSWORD", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Theory]
    [InlineData(".key")]
    [InlineData(".pub")]
    public async Task Generate_EitherFileExists_RefusesAndLeavesItUntouched(string existing)
    {
        var prefix = Path.Combine(_dir, "taken");
        await File.WriteAllTextAsync(prefix + existing, "keep me", _timeout.Token);
        using var error = new StringWriter();

        var code = await KeysCommand.GenerateAsync(prefix, "pw", TextWriter.Null, error, _timeout.Token);

        Assert.Equal(2, code);
        Assert.Contains("refusing to overwrite", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(prefix + existing, _timeout.Token));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task Generate_DirectoryMissing_Exit2()
    {
        using var error = new StringWriter();

        var code = await KeysCommand.GenerateAsync(Path.Combine(_dir, "missing", "k"), "pw", TextWriter.Null, error, _timeout.Token);

        Assert.Equal(2, code);
        Assert.Contains("does not exist", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_ParsedFromArguments_UsesPasswordSource()
    {
        var prefix = Path.Combine(_dir, "cli");
        var root = new RootCommand { KeysCommand.Create(() => "from-env") };

        var code = await root.Parse(["keys", "generate", "--output-prefix", prefix]).InvokeAsync(cancellationToken: _timeout.Token);

        Assert.Equal(0, code);
        using var key = SigningKeyFiles.LoadPrivateKey(await File.ReadAllTextAsync(prefix + ".key", _timeout.Token), "from-env");
    }
}
