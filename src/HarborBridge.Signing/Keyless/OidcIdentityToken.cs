using System.Text.Json;

namespace HarborBridge.Signing.Keyless;

/// <summary>
/// An OIDC identity token (JWT) as Fulcio takes it, e.g. a Kubernetes service-account token. The signature is not
/// checked here (Fulcio does that); the claims are read only to build the proof of possession.
/// </summary>
public sealed class OidcIdentityToken
{
    private OidcIdentityToken(string raw, string issuer, string subject, string? email)
    {
        Raw = raw;
        Issuer = issuer;
        Subject = subject;
        Email = email;
    }

    /// <summary>The compact JWT. Secret: never log it.</summary>
    public string Raw { get; }

    public string Issuer { get; }

    public string Subject { get; }

    /// <summary>The verified <c>email</c> claim, when the token has one with <c>email_verified</c> true.</summary>
    public string? Email { get; }

    /// <summary>What the proof of possession signs, as Fulcio checks it: the e-mail when the token carries a verified
    /// one, else <c>sub</c>.</summary>
    public string ProofSubject => Email ?? Subject;

    public override string ToString() => $"OIDC token iss={Issuer} sub={Subject}";

    /// <summary>Reads a token file (surrounding white space ignored, as Kubernetes projected tokens may end with a newline).</summary>
    public static async Task<OidcIdentityToken> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeylessException($"Cannot read the identity token file '{path}': {ex.Message}", ex);
        }

        return Parse(text, $"the identity token file '{path}'");
    }

    /// <summary>Parses a compact JWT. <paramref name="source"/> names where it came from in error messages.</summary>
    public static OidcIdentityToken Parse(string text, string source = "the identity token")
    {
        ArgumentNullException.ThrowIfNull(text);
        var raw = text.Trim();
        var parts = raw.Split('.');
        if (raw.Length == 0 || parts.Length != 3)
        {
            throw new KeylessException($"{Capitalise(source)} is not a JWT (expected three dot-separated parts).");
        }

        try
        {
            using var claims = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            var root = claims.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new KeylessException($"The claims of {source} are not a JSON object.");
            }

            var issuer = StringClaim(root, "iss");
            var subject = StringClaim(root, "sub");
            if (string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(subject))
            {
                throw new KeylessException($"{Capitalise(source)} has no 'iss' or no 'sub' claim; Fulcio needs both.");
            }

            var email = StringClaim(root, "email");
            var verified = root.TryGetProperty("email_verified", out var flag) && flag.ValueKind == JsonValueKind.True;
            return new OidcIdentityToken(raw, issuer, subject, !string.IsNullOrEmpty(email) && verified ? email : null);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new KeylessException($"The claims of {source} are not base64url JSON.", ex);
        }
    }

    private static string? StringClaim(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch
        {
            2 => "==",
            3 => "=",
            0 => "",
            _ => throw new FormatException("invalid base64url length"),
        };
        return Convert.FromBase64String(padded);
    }

    private static string Capitalise(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
