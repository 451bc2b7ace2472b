using System.Security.Cryptography;

namespace HarborBridge.Signing;

/// <summary>OCI content digests (<c>sha256:&lt;64 lowercase hex&gt;</c>) and the tags derived from them.</summary>
public static class ImageDigest
{
    private const string Prefix = "sha256:";

    public static bool IsValid(string? digest) =>
        digest is { Length: 71 } && digest.StartsWith(Prefix, StringComparison.Ordinal) &&
        digest.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef") is false;

    public static void Validate(string digest)
    {
        if (!IsValid(digest))
        {
            throw new ArgumentException($"'{digest}' is not a sha256 digest (sha256:<64 lowercase hex>).", nameof(digest));
        }
    }

    public static string Of(ReadOnlySpan<byte> content) =>
        Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Hex part of the digest.</summary>
    public static string Hex(string digest)
    {
        Validate(digest);
        return digest[Prefix.Length..];
    }

    /// <summary>Tag of the legacy signature manifest: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string SignatureTag(string digest) => "sha256-" + Hex(digest) + ".sig";

    /// <summary>Tag of the legacy attestation manifest: <c>sha256-&lt;hex&gt;.att</c>.</summary>
    public static string AttestationTag(string digest) => "sha256-" + Hex(digest) + ".att";

    /// <summary>Fallback tag of the OCI referrers index when the registry has no referrers API: <c>sha256-&lt;hex&gt;</c>.</summary>
    public static string ReferrersFallbackTag(string digest) => "sha256-" + Hex(digest);
}
