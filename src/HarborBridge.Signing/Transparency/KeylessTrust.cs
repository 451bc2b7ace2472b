using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace HarborBridge.Signing.Transparency;

/// <summary>A Fulcio certificate authority: its chain (intermediates first, the self-signed root last) and when it may have issued.</summary>
public sealed record CertificateAuthority(string Uri, IReadOnlyList<X509Certificate2> Chain, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil)
{
    public X509Certificate2 Root => Chain[^1];

    public bool CoversTime(DateTimeOffset time) =>
        (ValidFrom is null || time >= ValidFrom) && (ValidUntil is null || time <= ValidUntil);
}

/// <summary>
/// What keyless verification trusts: Fulcio CAs and Rekor keys, from a Sigstore trusted root file
/// (<c>--trusted-root</c>, as cosign and sigstore-js take it) or from PEM files (a Fulcio root and a Rekor public key).
/// </summary>
public sealed class KeylessTrust(IReadOnlyList<CertificateAuthority> authorities, IReadOnlyList<TransparencyLogKey> rekorKeys)
{
    public IReadOnlyList<CertificateAuthority> Authorities { get; } = authorities;

    public IReadOnlyList<TransparencyLogKey> RekorKeys { get; } = rekorKeys;

    /// <summary>Reads <c>certificateAuthorities</c> and <c>tlogs</c> of a trusted root; an unusable file is a <see cref="TrustedRootException"/>.</summary>
    public static KeylessTrust FromTrustedRoot(ReadOnlySpan<byte> json) =>
        new(ReadCertificateAuthorities(json), SigstoreTrustedRoot.ReadRekorKeys(json));

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

    private static List<CertificateAuthority> ReadCertificateAuthorities(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var authorities = new List<CertificateAuthority>();
            if (!document.RootElement.TryGetProperty("certificateAuthorities", out var list))
            {
                return authorities;
            }

            foreach (var ca in list.EnumerateArray())
            {
                var chain = ca.GetProperty("certChain").GetProperty("certificates").EnumerateArray()
                    .Select(c => X509CertificateLoader.LoadCertificate(Convert.FromBase64String(c.GetProperty("rawBytes").GetString() ?? "")))
                    .ToList();
                if (chain.Count == 0)
                {
                    continue;
                }

                var validFor = ca.TryGetProperty("validFor", out var v) ? v : default;
                authorities.Add(new CertificateAuthority(
                    ca.TryGetProperty("uri", out var uri) ? uri.GetString() ?? "" : "",
                    chain,
                    SigstoreTrustedRoot.Time(validFor, "start"),
                    SigstoreTrustedRoot.Time(validFor, "end")));
            }

            return authorities;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            throw new TrustedRootException($"the trusted root's certificate authorities cannot be read: {e.Message}");
        }
    }
}
