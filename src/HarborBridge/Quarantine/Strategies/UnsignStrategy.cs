using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Quarantine;
using HarborBridge.Core.Signing;
using HarborBridge.Persistence;

namespace HarborBridge.Quarantine.Strategies;

/// <summary><c>unsign</c>: removes HarborBridge's own signatures, attestations and Sigstore bundles (other signers' stay),
/// so a project that enforces cosign signatures refuses the pull. The undo is the new signature written after the
/// release.</summary>
internal sealed class UnsignStrategy(IArtifactUnsigner unsigner) : IQuarantineStrategy
{
    public string Name => QuarantineStrategies.Unsign;

    public async Task<AppliedStrategy> ApplyAsync(QuarantineContext context, CancellationToken cancellationToken)
    {
        var removal = await unsigner.RemoveOwnSignaturesAsync(context.Blocked.Artifact, cancellationToken);
        return new AppliedStrategy(
            JsonSerializer.Serialize(new UnsignPrior(removal.SignaturesRemoved, removal.AttestationsRemoved, removal.BundlesRemoved), SqlQuarantineStore.Json),
            $"unsign: removed {removal.SignaturesRemoved} signature(s), {removal.AttestationsRemoved} attestation(s) and {removal.BundlesRemoved} Sigstore bundle referrer(s) by HarborBridge's key, kept {removal.OthersKept} of other signers");
    }

    public Task<(string Status, string Detail)> UndoAsync(ArtifactRef artifact, QuarantineStep step, CancellationToken cancellationToken) =>
        Task.FromResult((QuarantineStepStatus.Released, "unsign: the signature is written again after the release"));
}
