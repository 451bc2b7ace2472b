using System.Security.Cryptography;
using System.Text.Json;

namespace HarborBridge.Signing.Transparency;

/// <summary>A trusted root file is unusable (not JSON, wrong media type, unreadable keys).</summary>
public sealed class TrustedRootException(string message) : Exception(message);

/// <summary>One transparency log key from a trusted root.</summary>
/// <param name="LogId">Hex SHA-256 of the key's DER SubjectPublicKeyInfo, as Rekor names its log.</param>
public sealed record TransparencyLogKey(string BaseUrl, string LogId, byte[] SubjectPublicKeyInfo, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil)
{
    /// <summary>A new <see cref="ECDsa"/> instance for the key; the caller disposes it.</summary>
    public ECDsa CreateKey()
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
        return key;
    }
}

/// <summary>
/// Reads the Rekor (transparency log) keys of a Sigstore trusted root (<c>application/vnd.dev.sigstore.trustedroot+json</c>,
/// the file cosign and sigstore-js take as <c>--trusted-root</c>, e.g. for air-gapped sites). Only ECDSA P-256 keys
/// (<c>PKIX_ECDSA_P256_SHA_256</c>) are taken; others are skipped. The log ID is computed from the key, so a
/// <c>logId</c> in the file that does not match the key is an error.
/// </summary>
public static class SigstoreTrustedRoot
{
    public const string MediaTypePrefix = "application/vnd.dev.sigstore.trustedroot+json";

    public static IReadOnlyList<TransparencyLogKey> ReadRekorKeys(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var mediaType = root.TryGetProperty("mediaType", out var m) ? m.GetString() : null;
            if (mediaType is null || !mediaType.StartsWith(MediaTypePrefix, StringComparison.Ordinal))
            {
                throw new TrustedRootException($"the media type '{mediaType}' is not a Sigstore trusted root ({MediaTypePrefix})");
            }

            var keys = new List<TransparencyLogKey>();
            if (!root.TryGetProperty("tlogs", out var tlogs))
            {
                return keys;
            }

            foreach (var tlog in tlogs.EnumerateArray())
            {
                var publicKey = tlog.GetProperty("publicKey");
                if (publicKey.GetProperty("keyDetails").GetString() != "PKIX_ECDSA_P256_SHA_256")
                {
                    continue;
                }

                var spki = Convert.FromBase64String(publicKey.GetProperty("rawBytes").GetString() ?? "");
                using (var check = ECDsa.Create())
                {
                    check.ImportSubjectPublicKeyInfo(spki, out _);
                }

                var logId = Convert.ToHexStringLower(SHA256.HashData(spki));
                if (tlog.TryGetProperty("logId", out var declared) &&
                    Convert.ToHexStringLower(Convert.FromBase64String(declared.GetProperty("keyId").GetString() ?? "")) != logId)
                {
                    throw new TrustedRootException($"the log ID of {tlog.GetProperty("baseUrl").GetString()} does not match its key");
                }

                var validFor = publicKey.TryGetProperty("validFor", out var v) ? v : default;
                keys.Add(new TransparencyLogKey(
                    tlog.TryGetProperty("baseUrl", out var url) ? url.GetString() ?? "" : "",
                    logId,
                    spki,
                    Time(validFor, "start"),
                    Time(validFor, "end")));
            }

            return keys;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            throw new TrustedRootException($"the trusted root cannot be read: {e.Message}");
        }
    }

    internal static DateTimeOffset? Time(JsonElement validFor, string name) =>
        validFor.ValueKind == JsonValueKind.Object && validFor.TryGetProperty(name, out var value) && value.GetString() is { } text
            ? DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : null;
}
