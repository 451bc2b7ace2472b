using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HarborBridge.Signing.Transparency;

/// <summary>A Fulcio certificate authority (chain: intermediates first, the self-signed root last) or an RFC 3161 timestamp
/// authority (chain: its signing certificate, intermediates, the root last), and when it may have issued or signed.</summary>
public sealed record CertificateAuthority(string Uri, IReadOnlyList<X509Certificate2> Chain, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil)
{
    public X509Certificate2 Root => Chain[^1];

    public bool CoversTime(DateTimeOffset time) =>
        (ValidFrom is null || time >= ValidFrom) && (ValidUntil is null || time <= ValidUntil);
}

/// <summary>
/// What keyless verification trusts: Fulcio CAs and Rekor keys, and for Sigstore bundles also Rekor v2 (Ed25519) keys,
/// CT logs (SCTs) and RFC 3161 timestamp authorities. From a Sigstore trusted root file (<c>--trusted-root</c>, as cosign
/// and sigstore-js take it) or from PEM files (a Fulcio root and a Rekor public key; no CT logs or TSAs then).
/// </summary>
public sealed class KeylessTrust(
    IReadOnlyList<CertificateAuthority> authorities,
    IReadOnlyList<TransparencyLogKey> rekorKeys,
    IReadOnlyList<TransparencyLogKey>? transparencyLogs = null,
    IReadOnlyList<TransparencyLogKey>? ctLogs = null,
    IReadOnlyList<CertificateAuthority>? timestampAuthorities = null)
{
    public IReadOnlyList<CertificateAuthority> Authorities { get; } = authorities;

    /// <summary>The ECDSA Rekor keys (SETs, Rekor v1 checkpoints).</summary>
    public IReadOnlyList<TransparencyLogKey> RekorKeys { get; } = rekorKeys;

    /// <summary>Every Rekor key, Rekor v2's Ed25519 keys included.</summary>
    public IReadOnlyList<TransparencyLogKey> TransparencyLogs { get; } = transparencyLogs ?? rekorKeys;

    /// <summary>Certificate transparency logs; SCTs in Fulcio certificates are checked against them.</summary>
    public IReadOnlyList<TransparencyLogKey> CtLogs { get; } = ctLogs ?? [];

    public IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; } = timestampAuthorities ?? [];

    /// <summary>Reads a trusted root; an unusable file is a <see cref="TrustedRootException"/>.</summary>
    public static KeylessTrust FromTrustedRoot(ReadOnlySpan<byte> json)
    {
        var logs = SigstoreTrustedRoot.ReadTransparencyLogs(json);
        return new KeylessTrust(
            SigstoreTrustedRoot.ReadCertificateAuthorities(json),
            logs.Where(k => k.KeyDetails == TransparencyLogKey.EcdsaP256).ToList(),
            logs,
            SigstoreTrustedRoot.ReadCtLogs(json),
            SigstoreTrustedRoot.ReadTimestampAuthorities(json));
    }

    /// <summary>Trust from PEM text: one or more Fulcio certificates (the last self-signed one is the root) and Rekor public keys.</summary>
    public static KeylessTrust FromPem(string fulcioCertificatesPem, string rekorPublicKeysPem)
    {
        X509Certificate2Collection certificates = [];
        try
        {
            certificates.ImportFromPem(fulcioCertificatesPem);
        }
        catch (CryptographicException e)
        {
            throw new TrustedRootException($"the Fulcio certificates cannot be read: {e.Message}");
        }

        if (certificates.Count == 0)
        {
            throw new TrustedRootException("no Fulcio certificate was found in the PEM text");
        }

        var keys = new List<TransparencyLogKey>();
        var rest = rekorPublicKeysPem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var spki = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            try
            {
                using var check = ECDsa.Create();
                check.ImportSubjectPublicKeyInfo(spki, out _);
            }
            catch (CryptographicException e)
            {
                throw new TrustedRootException($"the Rekor public key is not an ECDSA key: {e.Message}");
            }

            keys.Add(new TransparencyLogKey("", Convert.ToHexStringLower(SHA256.HashData(spki)), spki, null, null));
            rest = rest[fields.Location.End..];
        }

        if (keys.Count == 0)
        {
            throw new TrustedRootException("no Rekor public key was found in the PEM text");
        }

        return new KeylessTrust([new CertificateAuthority("", [.. certificates], null, null)], keys);
    }
}
