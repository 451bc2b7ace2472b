using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>What a bundle is verified against: the artifact's bytes (a file) or only its SHA-256 digest.</summary>
public sealed record BundleArtifact(byte[]? Content, byte[] Sha256)
{
    public string Digest => "sha256:" + Convert.ToHexStringLower(Sha256);

    public static BundleArtifact FromContent(byte[] content) => new(content, SHA256.HashData(content));

    /// <summary>From <c>sha256:&lt;64 hex&gt;</c>.</summary>
    public static BundleArtifact FromDigest(string digest) => new(null, Convert.FromHexString(ImageDigest.Hex(digest)));
}

/// <summary>
/// Who must have signed: a public key (<see cref="Key"/>), or a keyless identity (<see cref="Identity"/> = the certificate's
/// SAN, <see cref="Issuer"/> = its OIDC issuer, both exact). <see cref="CheckSct"/>: the certificate must carry an SCT by
/// a trusted CT log (as cosign and sigstore-go require; off only for trust material without CT logs).
/// </summary>
public sealed record BundlePolicy(ECDsa? Key, string? Identity, string? Issuer, bool CheckSct = true)
{
    public static BundlePolicy ForKey(ECDsa key) => new(key, null, null);

    public static BundlePolicy ForIdentity(string? identity, string? issuer, bool checkSct = true) => new(null, identity, issuer, checkSct);
}

/// <summary>Outcome of verifying a bundle with <see cref="SigstoreBundleVerifier"/>.</summary>
/// <param name="Signer">The certificate's identity (keyless), when it was readable.</param>
/// <param name="VerifiedTimes">The trusted times of the signature: Rekor integrated times (proved by a SET) and RFC 3161 timestamps.</param>
/// <param name="Statement">The in-toto statement of a DSSE bundle.</param>
public sealed record BundleCheck(
    bool IsVerified, string? FailureReason, CertificateIdentity? Signer, IReadOnlyList<DateTimeOffset> VerifiedTimes, string? PredicateType, byte[]? Statement)
{
    public static BundleCheck Fail(string reason, CertificateIdentity? signer = null) => new(false, reason, signer, [], null, null);
}

/// <summary>
/// Verifies a Sigstore bundle (v0.1–v0.3) offline against a trusted root, as sigstore-conformance's <c>verify-bundle</c>
/// expects (and as sigstore-go / sigstore-python do):
/// <list type="number">
/// <item>the content: a message signature over the artifact (its <c>messageDigest</c> must match), or a DSSE envelope
/// over an in-toto statement with the artifact's SHA-256 among its subjects; the signature verifies with the key or the
/// certificate's key;</item>
/// <item>every transparency log entry: its body is exactly this signature (<c>hashedrekord</c> 0.0.1/0.0.2, <c>dsse</c>
/// 0.0.1, <c>intoto</c> 0.0.2), the SET (inclusion promise) by a trusted Rekor key valid at the integrated time, the
/// inclusion proof (required from v0.2; v0.1 requires the SET) with a checkpoint signed by the log (Rekor v1 ECDSA or
/// Rekor v2 Ed25519; witness cosignatures are ignored);</item>
/// <item>RFC 3161 timestamps over the signature by a trusted timestamp authority (timestamps nobody trusted signed are
/// ignored, as sigstore-go does);</item>
/// <item>keyless: at least one log entry and at least one verified time (integrated time or timestamp); at each verified
/// time the certificate chains to a trusted Fulcio CA, is for code signing, names the identity and issuer, and carries
/// an SCT by a trusted CT log. The bundle's chain may hold intermediates, never a root.</item>
/// </list>
/// Key-based bundles need no log entry; those present must verify.
/// </summary>
public static partial class SigstoreBundleVerifier
{
    // Rekor's clock and ours may differ a little; an integrated time beyond this is not accepted.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    public static BundleCheck Verify(ReadOnlySpan<byte> bundleJson, BundleArtifact artifact, BundlePolicy policy, KeylessTrust trust, DateTimeOffset now)
    {
        SigstoreBundleDocument bundle;
        try
        {
            bundle = SigstoreBundleDocument.Parse(bundleJson);
        }
        catch (BundleFormatException e)
        {
            return BundleCheck.Fail(e.Message);
        }

        return Verify(bundle, artifact, policy, trust, now);
    }

    public static BundleCheck Verify(SigstoreBundleDocument bundle, BundleArtifact artifact, BundlePolicy policy, KeylessTrust trust, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trust);
        var keyless = policy.Key is null;
        if (keyless && bundle.IsKeyBased)
        {
            return BundleCheck.Fail("the bundle is signed with a public key, not a certificate: verify it with --key");
        }

        if (!keyless && !bundle.IsKeyBased)
        {
            return BundleCheck.Fail("the bundle is signed with a certificate, not a public key: verify it with --certificate-identity and --certificate-oidc-issuer");
        }

        if (bundle.Certificates.Skip(1).Any(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)))
        {
            return BundleCheck.Fail("the bundle's certificate chain contains a root certificate (roots come only from the trusted root)");
        }

        var leaf = keyless ? bundle.Certificates[0] : null;
        using var certificateKey = leaf?.GetECDsaPublicKey();
        var key = policy.Key ?? certificateKey;
        if (key is null)
        {
            return BundleCheck.Fail("the certificate's key is not an ECDSA key");
        }

        var signerDer = leaf?.RawData ?? key.ExportSubjectPublicKeyInfo();
        var content = CheckContent(bundle, artifact, key);
        if (content.Problem is not null)
        {
            return BundleCheck.Fail(content.Problem);
        }

        var times = new List<SigningTime>();
        var rekorV2 = new List<TransparencyLogKey>();
        foreach (var entry in bundle.TlogEntries)
        {
            var problem = CheckEntryBody(entry, bundle, content.SignedDigest, signerDer) ?? VerifyEntry(entry, bundle, trust, now, times, rekorV2);
            if (problem is not null)
            {
                return BundleCheck.Fail($"transparency log entry {entry.LogIndex}: {problem}");
            }
        }

        var timestampProblems = new List<string>();
        foreach (var signedTimestamp in bundle.SignedTimestamps)
        {
            var (timestamp, problem) = Rfc3161TimestampVerifier.Verify(signedTimestamp, bundle.SignatureBytes, trust.TimestampAuthorities);
            if (timestamp is not null)
            {
                times.Add(new SigningTime(timestamp.Time, "RFC 3161 timestamp"));
            }
            else
            {
                timestampProblems.Add(problem!);
            }
        }

        if (rekorV2.FirstOrDefault(log => times.Any(t => !log.CoversTime(t.Time))) is { } expired)
        {
            return BundleCheck.Fail($"the Rekor key {expired.BaseUrl} was not valid at the signing time");
        }

        if (!keyless)
        {
            return new BundleCheck(true, null, null, [.. times.Select(t => t.Time)], content.PredicateType, content.Statement);
        }

        return VerifyCertificate(bundle, leaf!, policy, trust, times, timestampProblems) is { } failed
            ? failed
            : new BundleCheck(true, null, FulcioCertificateVerifier.ReadIdentity(leaf!, out _), [.. times.Select(t => t.Time)], content.PredicateType, content.Statement);
    }

    private static BundleCheck? VerifyCertificate(
        SigstoreBundleDocument bundle, X509Certificate2 leaf, BundlePolicy policy, KeylessTrust trust, List<SigningTime> times, List<string> timestampProblems)
    {
        var intermediates = bundle.Certificates.Skip(1).ToList();
        if (bundle.TlogEntries.Count == 0)
        {
            return BundleCheck.Fail("the bundle has no transparency log entry");
        }

        if (times.Count == 0)
        {
            return BundleCheck.Fail("no verified time for the signature (no Rekor integrated time proved by a SET and no trusted RFC 3161 timestamp)" +
                                    (timestampProblems.Count > 0 ? ": " + string.Join("; ", timestampProblems) : ""));
        }

        foreach (var time in times.Distinct())
        {
            var check = FulcioCertificateVerifier.Verify(leaf, intermediates, trust, time.Time, policy.Identity, policy.Issuer, policy.CheckSct ? trust.CtLogs : null);
            if (!check.IsVerified)
            {
                return BundleCheck.Fail($"{check.FailureReason} (time from the {time.Source})", check.Identity);
            }
        }

        return null;
    }

    private sealed record SigningTime(DateTimeOffset Time, string Source);

    private sealed record Content(string? Problem, byte[] SignedDigest, string? PredicateType = null, byte[]? Statement = null);

    // The signature over the content, and what it is bound to. SignedDigest is what a hashedrekord entry logs: SHA-256 of
    // the artifact (message signatures) or of the DSSE PAE (Rekor v2 logs DSSE envelopes that way).
    private static Content CheckContent(SigstoreBundleDocument bundle, BundleArtifact artifact, ECDsa key)
    {
        if (bundle.Message is { } message)
        {
            if (message.Digest is { Length: > 0 } hint &&
                (message.DigestAlgorithm != "SHA2_256" || !hint.AsSpan().SequenceEqual(artifact.Sha256)))
            {
                return new Content($"the bundle's message digest is not the SHA-256 of the artifact ({artifact.Digest})", artifact.Sha256);
            }

            var verified = artifact.Content is { } bytes
                ? EcdsaSignatures.Verify(key, bytes, message.Signature)
                : VerifyHash(key, artifact.Sha256, message.Signature);
            return new Content(verified ? null : "the signature does not verify over the artifact with the " + (bundle.IsKeyBased ? "key" : "certificate's key"), artifact.Sha256);
        }

        var envelope = bundle.Envelope!;
        var pae = DsseEnvelope.Pae(envelope.PayloadType, envelope.Payload);
        if (!envelope.VerifiesWith(key))
        {
            return new Content("the DSSE envelope's signature does not verify with the " + (bundle.IsKeyBased ? "key" : "certificate's key"), SHA256.HashData(pae));
        }

        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType || !InTotoStatement.TryReadSubjects(envelope.Payload, out var predicateType, out var subjects))
        {
            return new Content($"the DSSE payload is not an in-toto statement (payload type '{envelope.PayloadType}')", SHA256.HashData(pae));
        }

        return subjects.Contains(artifact.Digest, StringComparer.Ordinal)
            ? new Content(null, SHA256.HashData(pae), predicateType, envelope.Payload)
            : new Content($"the in-toto statement's subjects ({string.Join(", ", subjects)}) do not include the artifact {artifact.Digest}", SHA256.HashData(pae));
    }

    private static bool VerifyHash(ECDsa key, byte[] hash, byte[] signature)
    {
        try
        {
            return key.VerifyHash(hash, signature, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
