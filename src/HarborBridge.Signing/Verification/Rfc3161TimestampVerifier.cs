using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>A signed timestamp that verified: when, and which trusted authority signed it.</summary>
public sealed record VerifiedTimestamp(DateTimeOffset Time, string AuthorityUri);

/// <summary>
/// Checks an RFC 3161 signed timestamp as Sigstore bundles carry it (<c>timestampVerificationData.rfc3161Timestamps[].signedTimestamp</c>,
/// a DER TimeStampResp, or the bare token): the message imprint is the hash of the <b>signature bytes</b>, the CMS
/// signature verifies (.NET's <see cref="Rfc3161TimestampToken"/>), and the signing certificate — embedded in the token or
/// taken from the trusted root — chains to a trusted timestamp authority's root at the timestamp's time, with the
/// timeStamping extended key usage, while the authority's <c>validFor</c> covers that time.
/// </summary>
public static class Rfc3161TimestampVerifier
{
    private const string TimeStampingOid = "1.3.6.1.5.5.7.3.8";

    public static (VerifiedTimestamp? Timestamp, string? Problem) Verify(
        byte[] signedTimestamp, ReadOnlySpan<byte> signature, IReadOnlyList<CertificateAuthority> authorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        if (!TryReadToken(signedTimestamp, out var token, out var problem))
        {
            return (null, problem);
        }

        var info = token.TokenInfo;
        if (HashName(info.HashAlgorithmId.Value) is not { } hashName)
        {
            return (null, $"the timestamp uses an unsupported hash algorithm ({info.HashAlgorithmId.Value})");
        }

        using var hash = IncrementalHash.CreateHash(hashName);
        hash.AppendData(signature);
        if (!hash.GetHashAndReset().AsSpan().SequenceEqual(info.GetMessageHash().Span))
        {
            return (null, "the timestamp is over other data than this signature");
        }

        if (authorities.Count == 0)
        {
            return (null, "the trusted root has no timestamp authority");
        }

        var time = info.Timestamp;
        var problems = new List<string>();
        foreach (var authority in authorities)
        {
            if (!token.VerifySignatureForData(signature, out var signer, [.. authority.Chain]) || signer is null)
            {
                problems.Add($"not signed by {Name(authority)}");
                continue;
            }

            using (signer)
            {
                var authorityProblem = CheckSigner(signer, authority, time);
                if (authorityProblem is null)
                {
                    return (new VerifiedTimestamp(time, authority.Uri), null);
                }

                problems.Add(authorityProblem);
            }
        }

        return (null, $"the timestamp of {time:u} is not from a trusted timestamp authority: {string.Join("; ", problems.Distinct(StringComparer.Ordinal))}");
    }

    private static string? CheckSigner(X509Certificate2 signer, CertificateAuthority authority, DateTimeOffset time)
    {
        if (!authority.CoversTime(time))
        {
            return $"{Name(authority)} was not trusted at {time:u} (trusted root validFor)";
        }

        // When the trusted root names the authority's signing certificate, only that certificate may sign.
        var named = authority.Chain[0];
        if (authority.Chain.Count > 1 && !IsCa(named) && !named.RawData.AsSpan().SequenceEqual(signer.RawData))
        {
            return $"signed by another certificate than {Name(authority)}'s";
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(authority.Root);
        policy.ExtraStore.AddRange(authority.Chain.Take(authority.Chain.Count - 1).ToArray());
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = time.UtcDateTime;
        policy.ApplicationPolicy.Add(new Oid(TimeStampingOid));
        if (chain.Build(signer))
        {
            return null;
        }

        var reasons = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal);
        return $"its certificate does not chain to {Name(authority)} at {time:u}: {string.Join(", ", reasons.DefaultIfEmpty("no path"))}";
    }

    // A TimeStampResp (status + token) or the token (ContentInfo) alone.
    private static bool TryReadToken(byte[] encoded, out Rfc3161TimestampToken token, out string problem)
    {
        token = null!;
        problem = "the signed timestamp is not an RFC 3161 timestamp response";
        try
        {
            var sequence = new AsnReader(encoded, AsnEncodingRules.BER).ReadSequence();
            var tokenBytes = encoded.AsMemory();
            if (sequence.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var status = sequence.ReadSequence().ReadInteger();
                if (status > 1)
                {
                    problem = $"the timestamp authority refused the request (status {status})";
                    return false;
                }

                if (!sequence.HasData)
                {
                    return false;
                }

                tokenBytes = sequence.ReadEncodedValue().ToArray();
            }

            if (Rfc3161TimestampToken.TryDecode(tokenBytes, out token!, out _))
            {
                return true;
            }

            // .NET refuses a token whose embedded signing certificate was not valid at the stated time; say so.
            var cms = new SignedCms();
            cms.Decode(tokenBytes.Span);
            if (cms.SignerInfos.Count == 1 && cms.SignerInfos[0].Certificate is { } signer &&
                Rfc3161TimestampTokenInfo.TryDecode(cms.ContentInfo.Content, out var info, out _) &&
                (info.Timestamp < signer.NotBefore.ToUniversalTime() || info.Timestamp > signer.NotAfter.ToUniversalTime()))
            {
                problem = $"the timestamp's time {info.Timestamp:u} is outside the validity of the certificate that signed it " +
                          $"({signer.NotBefore.ToUniversalTime():u} to {signer.NotAfter.ToUniversalTime():u})";
            }

            return false;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return false;
        }
    }

    private static HashAlgorithmName? HashName(string? oid) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
        _ => null,
    };

    private static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static string Name(CertificateAuthority authority) =>
        authority.Uri.Length > 0 ? authority.Uri : authority.Root.Subject;
}
