using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HarborBridge.Signing.Transparency;

/// <summary>Outcome of checking a Rekor signed entry timestamp (SET).</summary>
/// <param name="IntegratedTime">When Rekor logged the entry (the trusted time for certificate validity); set when verified.</param>
public sealed record RekorSetResult(bool IsVerified, DateTimeOffset? IntegratedTime, long? LogIndex, string? FailureReason)
{
    public static RekorSetResult Fail(string reason) => new(false, null, null, reason);
}

/// <summary>
/// Checks the Rekor proof cosign keeps in a legacy signature layer's <c>dev.sigstore.cosign/bundle</c> annotation
/// (<c>{"SignedEntryTimestamp","Payload":{"body","integratedTime","logIndex","logID"}}</c>): the SET is an ECDSA
/// signature by a trusted Rekor key over the RFC 8785 form of <c>Payload</c>, and the logged body must be a
/// <c>hashedrekord</c> v0.0.1 entry for exactly this signature: SHA-256 of the signed payload, the same signature
/// bytes, and the same public key or certificate (compared as DER).
/// </summary>
public static partial class RekorSet
{
    /// <summary>Annotation key of the Rekor bundle on legacy signature layers.</summary>
    public const string BundleAnnotation = "dev.sigstore.cosign/bundle";

    /// <param name="annotation">The annotation's JSON text.</param>
    /// <param name="signedPayload">The bytes the signature is over (the layer blob).</param>
    /// <param name="signatureBase64">The layer's <c>dev.cosignproject.cosign/signature</c>.</param>
    /// <param name="signerPem">The PEM public key, or the PEM leaf certificate for keyless signatures, that signed.</param>
    /// <param name="rekorKeys">Trusted Rekor log keys.</param>
    public static RekorSetResult Verify(string annotation, ReadOnlySpan<byte> signedPayload, string signatureBase64, string signerPem, IReadOnlyList<ECDsa> rekorKeys)
    {
        ArgumentNullException.ThrowIfNull(rekorKeys);
        if (!TryRead(annotation, out var set, out var body, out var integratedTime, out var logIndex, out var logId, out var problem))
        {
            return RekorSetResult.Fail(problem);
        }

        var setProblem = VerifySet(set, body, integratedTime, logId, logIndex, rekorKeys);
        if (setProblem is not null)
        {
            return RekorSetResult.Fail(setProblem);
        }

        var entryProblem = CheckEntry(Convert.FromBase64String(body), signedPayload, signatureBase64, signerPem);
        return entryProblem is null
            ? new RekorSetResult(true, DateTimeOffset.FromUnixTimeSeconds(integratedTime), logIndex, null)
            : RekorSetResult.Fail(entryProblem);
    }

    /// <summary>
    /// As <see cref="Verify(string, ReadOnlySpan{byte}, string, string, IReadOnlyList{ECDsa})"/> with keys from a trusted
    /// root; the key that signed the SET must also have been valid at the entry's integrated time.
    /// </summary>
    public static RekorSetResult Verify(string annotation, ReadOnlySpan<byte> signedPayload, string signatureBase64, string signerPem, IReadOnlyList<TransparencyLogKey> rekorKeys)
    {
        ArgumentNullException.ThrowIfNull(rekorKeys);
        var keys = rekorKeys.Select(k => k.CreateKey()).ToList();
        try
        {
            var result = Verify(annotation, signedPayload, signatureBase64, signerPem, keys);
            return result.IsVerified && KeyValidityProblem(rekorKeys, annotation, result.IntegratedTime!.Value) is { } problem
                ? RekorSetResult.Fail(problem)
                : result;
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    /// <summary>Null when <paramref name="signedEntryTimestamp"/> is a trusted Rekor key's signature over the RFC 8785
    /// form of <c>{"body","integratedTime","logID","logIndex"}</c>, else the problem.</summary>
    internal static string? VerifySet(byte[] signedEntryTimestamp, string bodyBase64, long integratedTime, string logIdHex, long logIndex, IReadOnlyList<ECDsa> rekorKeys)
    {
        if (!Base64().IsMatch(bodyBase64) || !HexId().IsMatch(logIdHex))
        {
            return "the Rekor entry's body is not base64 or its log ID is not a hex SHA-256";
        }

        // Only base64 and lower-case hex reach here, so no character needs JSON escaping: this is the RFC 8785 form.
        var canonical = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"body\":\"{bodyBase64}\",\"integratedTime\":{integratedTime},\"logID\":\"{logIdHex}\",\"logIndex\":{logIndex}}}"));
        var rekor = rekorKeys.Where(k => LogId(k) == logIdHex).ToList();
        if (rekor.Count == 0)
        {
            return $"no trusted Rekor key has the log ID {logIdHex}";
        }

        return rekor.Any(k => EcdsaSignatures.Verify(k, canonical, signedEntryTimestamp))
            ? null
            : "the signed entry timestamp does not verify with the trusted Rekor key";
    }

    /// <summary>Null when the trusted root's key with this log ID was valid at <paramref name="integratedTime"/>.</summary>
    internal static string? KeyValidity(IReadOnlyList<TransparencyLogKey> rekorKeys, string logIdHex, DateTimeOffset integratedTime) =>
        rekorKeys.Any(k => k.LogId == logIdHex && (k.ValidFrom is null || integratedTime >= k.ValidFrom) && (k.ValidUntil is null || integratedTime <= k.ValidUntil))
            ? null
            : $"the Rekor key {logIdHex} was not valid at the integrated time {integratedTime:u}";

    private static string? KeyValidityProblem(IReadOnlyList<TransparencyLogKey> rekorKeys, string annotation, DateTimeOffset integratedTime)
    {
        using var document = JsonDocument.Parse(annotation);
        return KeyValidity(rekorKeys, document.RootElement.GetProperty("Payload").GetProperty("logID").GetString() ?? "", integratedTime);
    }

    /// <summary>Rekor's log ID for a key: hex SHA-256 of its DER SubjectPublicKeyInfo.</summary>
    public static string LogId(ECDsa rekorKey)
    {
        ArgumentNullException.ThrowIfNull(rekorKey);
        return Convert.ToHexStringLower(SHA256.HashData(rekorKey.ExportSubjectPublicKeyInfo()));
    }

    private static bool TryRead(string annotation, out byte[] set, out string body, out long integratedTime, out long logIndex, out string logId, out string problem)
    {
        set = [];
        body = logId = problem = "";
        integratedTime = logIndex = 0;
        try
        {
            using var document = JsonDocument.Parse(annotation);
            var root = document.RootElement;
            var payload = root.GetProperty("Payload");
            set = Convert.FromBase64String(root.GetProperty("SignedEntryTimestamp").GetString() ?? "");
            body = payload.GetProperty("body").GetString() ?? "";
            integratedTime = payload.GetProperty("integratedTime").GetInt64();
            logIndex = payload.GetProperty("logIndex").GetInt64();
            logId = payload.GetProperty("logID").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problem = "the Rekor bundle annotation is not {\"SignedEntryTimestamp\",\"Payload\":{\"body\",\"integratedTime\",\"logIndex\",\"logID\"}}";
            return false;
        }

        if (!Base64().IsMatch(body) || !HexId().IsMatch(logId))
        {
            problem = "the Rekor bundle's body is not base64 or its logID is not a hex SHA-256";
            return false;
        }

        return true;
    }

    internal static string? CheckEntry(byte[] body, ReadOnlySpan<byte> signedPayload, string signatureBase64, string signerPem)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.GetProperty("kind").GetString() != "hashedrekord" || root.GetProperty("apiVersion").GetString() != "0.0.1")
            {
                return "the Rekor entry is not a hashedrekord v0.0.1";
            }

            var spec = root.GetProperty("spec");
            var hash = spec.GetProperty("data").GetProperty("hash");
            if (hash.GetProperty("algorithm").GetString() != "sha256" ||
                hash.GetProperty("value").GetString() != Convert.ToHexStringLower(SHA256.HashData(signedPayload)))
            {
                return "the Rekor entry logs another payload hash";
            }

            var signature = spec.GetProperty("signature");
            if (!Convert.FromBase64String(signature.GetProperty("content").GetString() ?? "").AsSpan()
                    .SequenceEqual(Convert.FromBase64String(signatureBase64)))
            {
                return "the Rekor entry logs another signature";
            }

            var loggedPem = Encoding.UTF8.GetString(Convert.FromBase64String(signature.GetProperty("publicKey").GetProperty("content").GetString() ?? ""));
            return SameDer(loggedPem, signerPem) ? null : "the Rekor entry logs another public key or certificate";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return "the Rekor entry body is not a readable hashedrekord";
        }
    }

    private static bool SameDer(string a, string b) =>
        PemEncoding.TryFind(a, out var fa) && PemEncoding.TryFind(b, out var fb) &&
        a[fa.Label] == b[fb.Label] &&
        Convert.FromBase64String(a[fa.Base64Data]).AsSpan().SequenceEqual(Convert.FromBase64String(b[fb.Base64Data]));

    [GeneratedRegex("^[A-Za-z0-9+/]*={0,2}\\z")]
    private static partial Regex Base64();

    [GeneratedRegex("^[0-9a-f]{64}\\z")]
    private static partial Regex HexId();
}
