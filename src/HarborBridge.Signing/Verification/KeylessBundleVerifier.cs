using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.SimpleSigning;

namespace HarborBridge.Signing.Verification;

/// <summary>Outcome of verifying a keyless Sigstore bundle.</summary>
/// <param name="Payload">The verified signed content: the in-toto statement (DSSE bundles) or the message (message-signature bundles).</param>
public sealed record KeylessBundleResult(
    bool IsVerified, CertificateIdentity? Signer, DateTimeOffset? SignedAt, string? PredicateType, byte[]? Payload, string? FailureReason)
{
    public static KeylessBundleResult Fail(string reason, CertificateIdentity? signer = null) => new(false, signer, null, null, null, reason);
}

/// <summary>
/// Verifies a keyless Sigstore bundle about an image with <see cref="SigstoreBundleVerifier"/> (every bundle version,
/// Rekor v1 and v2 entries, RFC 3161 timestamps; SCTs when the trust material has CT logs): either a DSSE envelope over
/// an in-toto statement whose subject is <c>imageDigest</c> (what cosign v3 writes), or a message signature over a
/// simple-signing payload given by the caller (what HarborBridge writes keyless), which must then name
/// <c>imageDigest</c>. <see cref="KeylessBundleResult.SignedAt"/> is the earliest verified signing time.
/// </summary>
public static class KeylessBundleVerifier
{
    public static KeylessBundleResult Verify(ReadOnlySpan<byte> bundleJson, byte[]? message, string imageDigest, KeylessPolicy policy, TimeProvider? time = null)
    {
        ImageDigest.Validate(imageDigest);
        ArgumentNullException.ThrowIfNull(policy);
        SigstoreBundleDocument bundle;
        try
        {
            bundle = SigstoreBundleDocument.Parse(bundleJson);
        }
        catch (BundleFormatException e)
        {
            return KeylessBundleResult.Fail(e.Message);
        }

        return Verify(bundle, message, imageDigest, policy, time);
    }

    /// <summary>The same checks for a bundle already read (or assembled from a legacy layer, <see cref="KeylessAttestationLayer"/>).</summary>
    public static KeylessBundleResult Verify(SigstoreBundleDocument bundle, byte[]? message, string imageDigest, KeylessPolicy policy, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ImageDigest.Validate(imageDigest);
        ArgumentNullException.ThrowIfNull(policy);
        if (bundle.Message is not null && message is null)
        {
            return KeylessBundleResult.Fail("the bundle signs a message that was not supplied");
        }

        var artifact = message is null ? BundleArtifact.FromDigest(imageDigest) : BundleArtifact.FromContent(message);
        var rules = BundlePolicy.ForIdentity(policy.Identity, policy.Issuer, checkSct: policy.Trust.CtLogs.Count > 0);
        var check = SigstoreBundleVerifier.Verify(bundle, artifact, rules, policy.Trust, (time ?? TimeProvider.System).GetUtcNow());
        if (!check.IsVerified)
        {
            return KeylessBundleResult.Fail(check.FailureReason!, check.Signer);
        }

        var contentProblem = message is null ? null : MessageNamesImage(message, imageDigest);
        return contentProblem is null
            ? new KeylessBundleResult(true, check.Signer, check.VerifiedTimes.Min(), check.PredicateType, message ?? check.Statement, null)
            : KeylessBundleResult.Fail(contentProblem, check.Signer);
    }

    private static string? MessageNamesImage(byte[] message, string imageDigest)
    {
        try
        {
            var payload = SimpleSigningPayload.Parse(message);
            return payload.ManifestDigest == imageDigest ? null : $"the signed payload is for {payload.ManifestDigest}, not for {imageDigest}";
        }
        catch (SimpleSigningPayloadException e)
        {
            return "the signed message is not a simple-signing payload: " + e.Message;
        }
    }
}
