using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>Who a Fulcio certificate names: its SAN (e-mail or URI) and the OIDC issuer extension.</summary>
public sealed record CertificateIdentity(string Subject, string Issuer);

/// <summary>Outcome of checking a signing certificate; <see cref="Identity"/> is set when it was readable.</summary>
public sealed record CertificateCheck(bool IsVerified, CertificateIdentity? Identity, string? FailureReason)
{
    public static CertificateCheck Fail(string reason, CertificateIdentity? identity = null) => new(false, identity, reason);
}

/// <summary>
/// Checks a keyless (Fulcio) signing certificate as cosign does: the chain from the leaf through intermediates to a
/// root of a trusted Fulcio CA, evaluated at the trusted signing time (the Rekor integrated time; the certificates live
/// 10 minutes, so checking "now" would reject every one), the code-signing EKU, and the identity: exactly one SAN equal
/// to the expected e-mail or URI, and the OIDC issuer from extension 1.3.6.1.4.1.57264.1.8 (DER UTF8String) or, in older
/// certificates, 1.3.6.1.4.1.57264.1.1 (raw string). SCTs are checked when CT logs are given (sigstore bundles); the legacy
/// <c>.sig</c> path does not (as containers/image does not).
/// </summary>
public static class FulcioCertificateVerifier
{
    public const string IssuerOid = "1.3.6.1.4.1.57264.1.8";
    public const string LegacyIssuerOid = "1.3.6.1.4.1.57264.1.1";
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    /// <param name="leaf">The signing certificate.</param>
    /// <param name="untrustedIntermediates">Certificates shipped with the signature (chain annotation); only used to build a path, never trusted.</param>
    /// <param name="expectedIdentity">The SAN the certificate must name; null leaves the identity to the caller (it is returned).</param>
    /// <param name="signingTime">The trusted time of the signature (Rekor integrated time or a timestamp).</param>
    /// <param name="ctLogs">When given, an embedded SCT must verify with one of these CT logs (<see cref="SignedCertificateTimestamps"/>).</param>
    public static CertificateCheck Verify(
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> untrustedIntermediates,
        KeylessTrust trust,
        DateTimeOffset signingTime,
        string? expectedIdentity,
        string? expectedIssuer,
        IReadOnlyList<TransparencyLogKey>? ctLogs = null)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(untrustedIntermediates);
        ArgumentNullException.ThrowIfNull(trust);
        var identity = ReadIdentity(leaf, out var identityProblem);
        if (signingTime < leaf.NotBefore.ToUniversalTime() || signingTime > leaf.NotAfter.ToUniversalTime())
        {
            return CertificateCheck.Fail(
                $"the certificate was not valid at the signing time {signingTime:u} (valid {leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u})",
                identity);
        }

        var chainProblem = CheckChain(leaf, untrustedIntermediates, trust, signingTime, out var issuer);
        using (issuer)
        {
            chainProblem ??= ctLogs is null ? null : SignedCertificateTimestamps.Verify(leaf, issuer!, ctLogs);
        }

        if (chainProblem is not null)
        {
            return CertificateCheck.Fail(chainProblem, identity);
        }

        if (!leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CodeSigningOid)))
        {
            return CertificateCheck.Fail("the certificate is not for code signing (no codeSigning extended key usage)", identity);
        }

        if (identity is null)
        {
            return CertificateCheck.Fail(identityProblem);
        }

        // Null: the caller matches the identity itself (the trust policy's exact-or-regex identities).
        if (expectedIdentity is not null && !string.Equals(identity.Subject, expectedIdentity, StringComparison.Ordinal))
        {
            return CertificateCheck.Fail($"the certificate identity is '{identity.Subject}', not '{expectedIdentity}'", identity);
        }

        if (expectedIssuer is not null && !string.Equals(identity.Issuer, expectedIssuer, StringComparison.Ordinal))
        {
            return CertificateCheck.Fail($"the certificate's OIDC issuer is '{identity.Issuer}', not '{expectedIssuer}'", identity);
        }

        return new CertificateCheck(true, identity, null);
    }

    /// <summary>The SAN (e-mail or URI; Fulcio writes exactly one) and the OIDC issuer, or null with the problem.</summary>
    public static CertificateIdentity? ReadIdentity(X509Certificate2 leaf, out string problem)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        problem = "";
        try
        {
            var names = leaf.Extensions[SubjectAlternativeNameOid] is { } san ? ReadSubjectAlternativeNames(san.RawData) : [];
            if (names.Count != 1)
            {
                problem = $"the certificate has {names.Count} e-mail/URI subject alternative names, not exactly one";
                return null;
            }

            string? issuer = null;
            if (leaf.Extensions[IssuerOid] is { } current)
            {
                issuer = new AsnReader(current.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String);
            }
            else if (leaf.Extensions[LegacyIssuerOid] is { } legacy)
            {
                issuer = Encoding.UTF8.GetString(legacy.RawData);
            }

            if (string.IsNullOrEmpty(issuer))
            {
                problem = "the certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)";
                return null;
            }

            return new CertificateIdentity(names[0], issuer);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or DecoderFallbackException)
        {
            problem = "the certificate's identity extensions are malformed";
            return null;
        }
    }

    // GeneralNames: rfc822Name [1] and uniformResourceIdentifier [6], both IA5String with implicit tags.
    private static List<string> ReadSubjectAlternativeNames(byte[] extension)
    {
        var names = new List<string>();
        var sequence = new AsnReader(extension, AsnEncodingRules.DER).ReadSequence();
        var email = new Asn1Tag(TagClass.ContextSpecific, 1);
        var uri = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (sequence.HasData)
        {
            var tag = sequence.PeekTag();
            if (tag == email || tag == uri)
            {
                names.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
            }
            else
            {
                sequence.ReadEncodedValue();
            }
        }

        return names;
    }

    // On success, issuer is (a copy of) the certificate that issued the leaf; the caller disposes it.
    private static string? CheckChain(
        X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, KeylessTrust trust, DateTimeOffset signingTime, out X509Certificate2? issuer)
    {
        issuer = null;
        var authorities = trust.Authorities.Where(a => a.CoversTime(signingTime)).ToList();
        if (authorities.Count == 0)
        {
            return $"no trusted Fulcio CA was valid at the signing time {signingTime:u}";
        }

        var problems = new List<string>();
        foreach (var authority in authorities)
        {
            using var chain = new X509Chain();
            var policy = chain.ChainPolicy;
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.Add(authority.Root);
            policy.ExtraStore.AddRange(authority.Chain.Take(authority.Chain.Count - 1).Concat(intermediates).ToArray());
            policy.RevocationMode = X509RevocationMode.NoCheck;
            policy.VerificationTime = signingTime.UtcDateTime;
            policy.ApplicationPolicy.Add(new Oid(CodeSigningOid));
            if (chain.Build(leaf) && chain.ChainElements.Count > 1)
            {
                issuer = X509CertificateLoader.LoadCertificate(chain.ChainElements[1].Certificate.RawData);
                return null;
            }

            problems.AddRange(chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
        }

        return "the certificate does not chain to a trusted Fulcio root at the signing time: " +
               string.Join("; ", problems.Distinct(StringComparer.Ordinal).DefaultIfEmpty("no path"));
    }
}
