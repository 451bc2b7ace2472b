using HarborBridge.Contracts;

namespace HarborBridge.Core.Signing;

/// <summary>What an unsign removed: HarborBridge's own signature and attestation layers (others' stay).</summary>
public sealed record SignatureRemoval(int SignaturesRemoved, int AttestationsRemoved, int OthersKept);

/// <summary>Port: removes the signatures and attestations HarborBridge's key made for an artifact (implemented in
/// HarborBridge.Signing). Idempotent: a second call removes nothing.</summary>
public interface IArtifactUnsigner
{
    Task<SignatureRemoval> RemoveOwnSignaturesAsync(ArtifactRef artifact, CancellationToken cancellationToken);
}
