using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HarborBridge.Signing.Keyless;

/// <summary>Rekor's inclusion proof as returned by the v1 API (hashes in hex, checkpoint as the signed note text).</summary>
public sealed record RekorInclusionProof(long LogIndex, long TreeSize, string RootHashHex, IReadOnlyList<string> HashesHex, string Checkpoint);

/// <summary>A logged Rekor v1 entry: what the legacy <c>dev.sigstore.cosign/bundle</c> annotation and bundle
/// <c>tlogEntries</c> need.</summary>
/// <param name="BodyBase64">The canonicalized entry body, base64.</param>
/// <param name="LogIdHex">SHA-256 of the log's public key, hex.</param>
/// <param name="SignedEntryTimestamp">The SET, base64.</param>
public sealed record RekorEntry(
    string Uuid,
    string BodyBase64,
    long IntegratedTime,
    string LogIdHex,
    long LogIndex,
    string SignedEntryTimestamp,
    RekorInclusionProof? InclusionProof)
{
    /// <summary>The legacy annotation value <c>{"SignedEntryTimestamp","Payload":{"body","integratedTime","logIndex","logID"}}</c>.</summary>
    public string LegacyBundleAnnotation() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"SignedEntryTimestamp\":\"{SignedEntryTimestamp}\",\"Payload\":{{\"body\":\"{BodyBase64}\",\"integratedTime\":{IntegratedTime},\"logIndex\":{LogIndex},\"logID\":\"{LogIdHex}\"}}}}");
}

/// <summary>
/// Rekor v1 client: logs a <c>hashedrekord</c> v0.0.1 entry (<c>POST {url}/api/v1/log/entries</c>) for a signature
/// over SHA-256 of the signed bytes, with the signer's PEM certificate or public key.
/// </summary>
public sealed class RekorClient(IHttpClientFactory httpClients, ILogger<RekorClient> logger)
{
    public const string HttpClientName = "HarborBridge.Rekor";

    public async Task<RekorEntry> LogHashedRekordAsync(
        string rekorUrl, byte[] signedBytesSha256, byte[] signature, string signerPem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signedBytesSha256);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(signerPem);
        var url = SigstoreEndpoints.Resolve(rekorUrl, "/api/v1/log/entries", "Rekor");
        var body = HashedRekordEntry(signedBytesSha256, signature, signerPem);
        logger.LogInformation("Logging a hashedrekord entry at {RekorUrl}", SigstoreEndpoints.ForLog(url));

        using var client = httpClients.CreateClient(HttpClientName);
        var answer = await SigstoreEndpoints.PostJsonAsync(client, url, body, "Rekor", "did not log the entry", cancellationToken).ConfigureAwait(false);
        return ReadEntry(answer, SigstoreEndpoints.ForLog(url));
    }

    /// <summary>The proposed entry: <c>{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash"},"signature":{"content","publicKey":{"content"}}}}</c>.</summary>
    internal static byte[] HashedRekordEntry(byte[] sha256, byte[] signature, string signerPem) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            apiVersion = "0.0.1",
            kind = "hashedrekord",
            spec = new
            {
                data = new { hash = new { algorithm = "sha256", value = Convert.ToHexStringLower(sha256) } },
                signature = new
                {
                    content = Convert.ToBase64String(signature),
                    publicKey = new { content = Convert.ToBase64String(Encoding.UTF8.GetBytes(signerPem)) },
                },
            },
        }, SigningJson.Options);

    /// <summary>Reads <c>{"&lt;uuid&gt;":{"body","integratedTime","logID","logIndex","verification":{"signedEntryTimestamp","inclusionProof"}}}</c>.</summary>
    internal static RekorEntry ReadEntry(byte[] answer, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 1)
            {
                throw new KeylessException($"Rekor at {source} answered without exactly one log entry.");
            }

            var property = root.EnumerateObject().Single();
            var entry = property.Value;
            var verification = entry.GetProperty("verification");
            RekorInclusionProof? proof = null;
            if (verification.TryGetProperty("inclusionProof", out var p) && p.ValueKind == JsonValueKind.Object)
            {
                proof = new RekorInclusionProof(
                    p.GetProperty("logIndex").GetInt64(),
                    p.GetProperty("treeSize").GetInt64(),
                    Hex(p.GetProperty("rootHash").GetString()),
                    p.TryGetProperty("hashes", out var hashes) ? hashes.EnumerateArray().Select(h => Hex(h.GetString())).ToList() : [],
                    p.TryGetProperty("checkpoint", out var checkpoint) ? checkpoint.GetString() ?? "" : "");
            }

            var result = new RekorEntry(
                property.Name,
                entry.GetProperty("body").GetString() ?? "",
                entry.GetProperty("integratedTime").GetInt64(),
                Hex(entry.GetProperty("logID").GetString()),
                entry.GetProperty("logIndex").GetInt64(),
                verification.GetProperty("signedEntryTimestamp").GetString() ?? "",
                proof);
            _ = Convert.FromBase64String(result.BodyBase64);
            _ = Convert.FromBase64String(result.SignedEntryTimestamp);
            if (result.BodyBase64.Length == 0 || result.SignedEntryTimestamp.Length == 0)
            {
                throw new KeylessException($"Rekor at {source} answered with an empty body or signed entry timestamp.");
            }

            return result;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new KeylessException($"Rekor at {source} answered with an entry that is not Rekor's JSON (missing or malformed field).", ex);
        }
    }

    private static string Hex(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length % 2 != 0 || !text.All(Uri.IsHexDigit))
        {
            throw new FormatException("not hex");
        }

        return text.ToLowerInvariant();
    }
}
