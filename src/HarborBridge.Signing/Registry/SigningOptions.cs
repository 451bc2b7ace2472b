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

    /// <summary>Also attach a decision attestation (predicate <c>https://harborbridge.dev/decision/v1</c>) in the
    /// format(s) chosen by <see cref="Format"/>. Default true.</summary>
    public bool Attest { get; set; } = true;

    /// <summary>Where signatures go: <c>legacy</c> (<c>.sig</c>/<c>.att</c> tags; what Harbor, skopeo/podman and cosign
    /// read), <c>bundle</c> (Sigstore bundle v0.3 as an OCI 1.1 referrer, cosign v3's default) or <c>both</c>. Default legacy.</summary>
    public SignatureFormat Format { get; set; } = SignatureFormat.Legacy;

    public bool IsEnabled => !string.IsNullOrWhiteSpace(KeyFile);

    /// <summary><c>key</c> (default: <see cref="KeyFile"/>) or <c>keyless</c> (Fulcio certificate per signature, Rekor entry;
    /// the keyless properties below). Keyless writes <c>.sig</c> layers only.</summary>
    public SigningMode Mode { get; set; } = SigningMode.Key;

    /// <summary>Keyless: file with the OIDC identity token (e.g. a projected service-account token), read for every signature.</summary>
    public string? IdentityTokenFile { get; set; }

    /// <summary>Keyless: Fulcio base URL.</summary>
    public string? FulcioUrl { get; set; }

    /// <summary>Keyless: Rekor base URL.</summary>
    public string? RekorUrl { get; set; }

    /// <summary>Keyless: Sigstore trusted root JSON used to verify what was written (Fulcio CA, Rekor key).</summary>
    public string? TrustedRootFile { get; set; }

    /// <summary>Keyless: the certificate identity (SAN) a signature must have to count as ours. Default: the token's
    /// verified e-mail, else its <c>sub</c>. Set it when Fulcio maps the token to another SAN (e.g. Kubernetes tokens).</summary>
    public string? CertificateIdentity { get; set; }

    /// <summary>Keyless: the certificate's OIDC issuer. Default: the token's <c>iss</c>.</summary>
    public string? CertificateOidcIssuer { get; set; }

    public bool IsKeyless => Mode == SigningMode.Keyless;
}

/// <summary>How HarborBridge gets its signing key.</summary>
public enum SigningMode
{
    /// <summary>A long-lived key file (<see cref="SigningOptions.KeyFile"/>).</summary>
    Key,

    /// <summary>Sigstore keyless: Fulcio and Rekor.</summary>
    Keyless,
}

/// <summary>Storage format(s) of HarborBridge's signatures and attestations.</summary>
public enum SignatureFormat
{
    /// <summary>cosign's legacy tags <c>sha256-&lt;hex&gt;.sig</c> and <c>.att</c>.</summary>
    Legacy,

    /// <summary>Sigstore bundle v0.3 referrers (fallback tag <c>sha256-&lt;hex&gt;</c> without a referrers API).</summary>
    Bundle,

    /// <summary>Both of the above.</summary>
    Both,
}

/// <summary>Checks at start, when a key file is configured, that it can be read and decrypted and that Harbor's URL
/// (the registry signatures are written to) is set. Messages name the setting, never the password.</summary>
public sealed class SigningOptionsValidator(IOptions<HarborOptions> harbor) : IValidateOptions<SigningOptions>
{
    public ValidateOptionsResult Validate(string? name, SigningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsKeyless)
        {
            return KeylessSigningSettings.Validate(options, harbor.Value);
        }

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
