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

    private static SigningOptionsValidator Validator(string? harborUrl) => new(Options.Create(new HarborOptions { Url = harborUrl }));

    private string WriteKey(string password)
    {
        using var key = SigningKeyFiles.Generate();
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(path, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes(password)));
        return path;
    }
}
