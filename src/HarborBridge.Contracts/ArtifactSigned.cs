namespace HarborBridge.Contracts;

/// <summary>HarborBridge signed the artifact and verified what it wrote.</summary>
/// <param name="SignatureReference">Where the signature lives, e.g. the <c>sha256-….sig</c> manifest digest.</param>
/// <param name="KeyId">Identifies the signing key (base64 SHA-256 of its public key), never the key itself.</param>
public sealed record ArtifactSigned(
    string DecisionId,
    ArtifactRef Artifact,
    string SignatureReference,
    string KeyId,
    DateTimeOffset SignedAt);
