using System.Text;
using HarborBridge.Harbor;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Signing.Registry;

public sealed class SigningOptionsValidatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-signing-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Validate_NoKeyFile_SucceedsAsDisabled()
    {
        var result = Validator(harborUrl: null).Validate(null, new SigningOptions());

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_KeyFileAndRightPassword_Succeeds()
    {
        var result = Validator("https://harbor.example.com").Validate(null, new SigningOptions { KeyFile = WriteKey("secret"), KeyPassword = "secret" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_WrongPassword_FailsNamingTheSettingButNotThePassword()
    {
        var result = Validator("https://harbor.example.com").Validate(null, new SigningOptions { KeyFile = WriteKey("secret"), KeyPassword = "guess-123" });

        Assert.True(result.Failed);
        Assert.Contains("HarborBridge:Signing:KeyFile", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("guess-123", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingKeyFile_Fails()
    {
        var result = Validator("https://harbor.example.com").Validate(null, new SigningOptions { KeyFile = Path.Combine(_dir, "absent.key") });

        Assert.True(result.Failed);
        Assert.Contains("absent.key", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeyFileWithoutHarborUrl_Fails()
    {
        var result = Validator(harborUrl: null).Validate(null, new SigningOptions { KeyFile = WriteKey("secret"), KeyPassword = "secret" });

        Assert.True(result.Failed);
        Assert.Contains("HarborBridge:Harbor:Url", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeylessWithoutSettings_FailsNamingEachSetting()
    {
        var result = Validator("https://harbor.example.com").Validate(null, new SigningOptions { Mode = SigningMode.Keyless, FulcioUrl = "ftp://fulcio.example.test" });

        Assert.True(result.Failed);
        Assert.Contains("HarborBridge:Signing:IdentityTokenFile () is not set or does not exist", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("HarborBridge:Signing:FulcioUrl (ftp://fulcio.example.test) is not an http(s) URL", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("HarborBridge:Signing:RekorUrl () is not an http(s) URL", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("HarborBridge:Signing:TrustedRootFile () cannot be used", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeylessWithKeyFileOrBundleFormat_FailsAskingToChoose()
    {
        var result = Validator("https://harbor.example.com").Validate(null,
            new SigningOptions { Mode = SigningMode.Keyless, KeyFile = WriteKey("secret"), Format = SignatureFormat.Both });

        Assert.True(result.Failed);
        Assert.Contains("KeyFile is set; choose one", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Format must be legacy in keyless mode", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeylessComplete_Succeeds()
    {
        var token = Path.Combine(_dir, "token");
        File.WriteAllText(token, "a.b.c");
        var root = Path.Combine(AppContext.BaseDirectory, "fixtures", "signing", "cosign", "trusted_root_pgi.json");

        var result = Validator("https://harbor.example.com").Validate(null, new SigningOptions
        {
            Mode = SigningMode.Keyless, IdentityTokenFile = token, FulcioUrl = "https://fulcio.example.test", RekorUrl = "https://rekor.example.test",
            TrustedRootFile = root,
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    private static SigningOptionsValidator Validator(string? harborUrl) => new(Options.Create(new HarborOptions { Url = harborUrl }));

    private string WriteKey(string password)
    {
        using var key = SigningKeyFiles.Generate();
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(path, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes(password)));
        return path;
    }
}
