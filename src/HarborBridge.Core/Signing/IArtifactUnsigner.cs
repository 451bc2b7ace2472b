using HarborBridge.Contracts;

namespace HarborBridge.Core.Signing;

/// <summary>What an unsign removed: HarborBridge's own signature and attestation layers and its Sigstore bundle
/// referrers (signatures and attestations alike); other signers' stay and are counted in <paramref name="OthersKept"/>.</summary>
public sealed record SignatureRemoval(int SignaturesRemoved, int AttestationsRemoved, int OthersKept, int BundlesRemoved = 0);

/// <summary>Port: removes the signatures, attestations and bundle referrers HarborBridge's key made for an artifact (implemented in
/// HarborBridge.Signing). Idempotent: a second call removes nothing.</summary>
public interface IArtifactUnsigner
{
    Task<SignatureRemoval> RemoveOwnSignaturesAsync(ArtifactRef artifact, CancellationToken cancellationToken);
}
