using HarborBridge.Contracts;

namespace HarborBridge.Core.Signing;

/// <summary>A signature HarborBridge wrote (or found already written by its key) for an artifact.</summary>
/// <param name="SignatureReference">Where it lives, e.g. <c>harbor.example.com/team/app:sha256-….sig@sha256:…</c>.</param>
/// <param name="KeyId">base64 SHA-256 of the public key (cosign's key hint), never the key itself.</param>
/// <param name="Added">False when the key had signed this digest before (nothing new was written).</param>
public sealed record ArtifactSignature(string SignatureReference, string KeyId, bool Added);

/// <summary>The policy decision an artifact is signed for; it goes into the decision attestation.</summary>
/// <param name="Verdict"><c>pass</c> or <c>warn</c>, or <c>Released</c> when an admin, exception or rescan released it.</param>
/// <param name="ReportDigest">Digest (<c>sha256:…</c>) of the scan report the decision was made from; empty when no decision is
/// stored (then no decision attestation is written).</param>
/// <param name="ExceptionsUsed">Policy exceptions that waived findings; they go into the decision attestation.</param>
/// <param name="Scan">The scan report the decision was made from, for the vulnerability attestation; null = none is attached.</param>
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
    IReadOnlyList<Policy.VerifiedRequirement>? UpstreamVerified = null);

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
