using HarborBridge.Contracts;

namespace HarborBridge.Core.Signing;

/// <summary>A signature HarborBridge wrote (or found already written by its key) for an artifact.</summary>
/// <param name="SignatureReference">Where it lives, e.g. <c>harbor.example.com/team/app:sha256-….sig@sha256:…</c>.</param>
/// <param name="KeyId">base64 SHA-256 of the public key (cosign's key hint), never the key itself.</param>
/// <param name="Added">False when the key had signed this digest before (nothing new was written).</param>
/// <param name="Written">Each signature manifest in the registry that holds it: the <c>.sig</c> manifest (legacy) and/or the
/// Sigstore bundle referrer (bundle). Null from signers that do not say.</param>
public sealed record ArtifactSignature(string SignatureReference, string KeyId, bool Added, IReadOnlyList<WrittenSignature>? Written = null);

/// <summary>One signature manifest HarborBridge's key signed in: <paramref name="Format"/> is <c>legacy</c> (cosign v2 <c>.sig</c>
/// tag) or <c>bundle</c> (cosign v3 Sigstore bundle referrer); <paramref name="ManifestDigest"/> is that manifest's digest.</summary>
public sealed record WrittenSignature(string Format, string ManifestDigest)
{
    public const string Legacy = "legacy";
    public const string Bundle = "bundle";
}

/// <summary>The policy decision an artifact is signed for; it goes into the decision attestation.</summary>
/// <param name="Verdict"><c>pass</c> or <c>warn</c>, or <c>Released</c> when an admin, exception or rescan released it.</param>
/// <param name="ReportDigest">Digest (<c>sha256:…</c>) of the scan report the decision was made from; empty when no decision is
/// stored (then no decision attestation is written).</param>
/// <param name="ExceptionsUsed">Policy exceptions that waived findings; they go into the decision attestation.</param>
/// <param name="Scan">The scan report the decision was made from, for the vulnerability attestation; null = none is attached.</param>
/// <param name="VexStatementsUsed">VEX statements that took findings out of the verdict; they go into the decision attestation.</param>
/// <param name="UpstreamVerified">The trust policy's requirements the decision found met, with the upstream signatures and
/// provenance that met them; they go into the decision attestation.</param>
public sealed record SigningDecision(
    string DecisionId,
    string Verdict,
    string PolicyVersion,
    string ReportDigest,
    DateTimeOffset DecidedAt,
    IReadOnlyList<AppliedException>? ExceptionsUsed = null,
    ScanEvidence? Scan = null,
    IReadOnlyList<VexStatementUsed>? VexStatementsUsed = null,
    IReadOnlyList<Policy.VerifiedRequirement>? UpstreamVerified = null);

/// <summary>An OpenVEX statement (<c>not_affected</c> or <c>fixed</c>) that took findings out of a decision.</summary>
/// <param name="Document">The document's <c>@id</c>.</param>
/// <param name="DocumentDigest"><c>sha256:</c> of the document as read.</param>
/// <param name="Statement">Position in the document's <c>statements</c>.</param>
public sealed record VexStatementUsed(string Document, string DocumentDigest, int Statement, string Vulnerability, string Status, string? Justification);

/// <summary>The verdict of checking an artifact's signature by HarborBridge's own key.</summary>
public sealed record ArtifactSignatureCheck(bool Verified, string Explanation);

/// <summary>Port: signs artifacts in their registry and verifies the result (implemented in HarborBridge.Signing).</summary>
public interface IArtifactSigner
{
    /// <summary>False when no signing key is configured: nothing is signed.</summary>
    bool IsEnabled { get; }

    /// <summary>Signs the artifact's digest (and attests <paramref name="decision"/> when attestations are on); throws when
    /// the key cannot be used, the registry refuses, or what was written does not verify.</summary>
    Task<ArtifactSignature> SignAsync(ArtifactRef artifact, SigningDecision decision, CancellationToken cancellationToken);

    /// <summary>Reads the artifact's signatures back from the registry and checks one verifies with our key and identity.</summary>
    Task<ArtifactSignatureCheck> VerifyAsync(ArtifactRef artifact, CancellationToken cancellationToken);
}
