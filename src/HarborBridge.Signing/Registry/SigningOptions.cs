using System.Text;
using HarborBridge.Harbor;
using HarborBridge.Signing.Keys;
using Microsoft.Extensions.Options;

namespace HarborBridge.Signing.Registry;

/// <summary>Signing settings (section <c>HarborBridge:Signing</c>). Without <see cref="KeyFile"/> signing is disabled.</summary>
public sealed class SigningOptions
{
    public const string SectionName = "HarborBridge:Signing";

    /// <summary>cosign private key file (<c>ENCRYPTED SIGSTORE PRIVATE KEY</c> / <c>ENCRYPTED COSIGN PRIVATE KEY</c>, or plain PKCS#8).</summary>
    public string? KeyFile { get; set; }

    /// <summary>The key file's password. Secret: set it from the environment (<c>HarborBridge__Signing__KeyPassword</c>), never logged.</summary>
    public string? KeyPassword { get; set; }

    public bool IsEnabled => !string.IsNullOrWhiteSpace(KeyFile);
}

/// <summary>Checks at start, when a key file is configured, that it can be read and decrypted and that Harbor's URL
/// (the registry signatures are written to) is set. Messages name the setting, never the password.</summary>
public sealed class SigningOptionsValidator(IOptions<HarborOptions> harbor) : IValidateOptions<SigningOptions>
{
    public ValidateOptionsResult Validate(string? name, SigningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsEnabled)
        {
            return ValidateOptionsResult.Success;
        }

        if (!harbor.Value.IsConfigured)
        {
            return ValidateOptionsResult.Fail(
                $"{SigningOptions.SectionName}:KeyFile is set but {HarborOptions.SectionName}:Url is not: signatures are written to Harbor's registry.");
        }

        try
        {
            using var key = SigningKeyLoader.Load(options);
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyFileException)
        {
            return ValidateOptionsResult.Fail($"{SigningOptions.SectionName}:KeyFile ({options.KeyFile}) cannot be used: {e.Message}");
        }
    }
}

internal static class SigningKeyLoader
{
    public static System.Security.Cryptography.ECDsa Load(SigningOptions options) =>
        SigningKeyFiles.LoadPrivateKey(File.ReadAllText(options.KeyFile!), Encoding.UTF8.GetBytes(options.KeyPassword ?? ""));
}
