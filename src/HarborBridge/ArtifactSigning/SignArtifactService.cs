using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Signing;
using MassTransit;

namespace HarborBridge.ArtifactSigning;

/// <summary>Signing an artifact failed (key unusable, registry refused or unreachable, written signature not verifiable).
/// After the last retry the fault of the decision message carries this type, which raises the operator alert.</summary>
public sealed class ArtifactSigningException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>What both sign consumers do: sign (+ attest, with the scan report the verdict event carries, else read again from Harbor), with the signer verifying what it wrote, then publish
/// <see cref="ArtifactSigned"/>. A failure throws, so MassTransit retries and the artifact is never reported signed.</summary>
internal sealed partial class SignArtifactService(
    IArtifactSigner signer,
    ScanEvidenceSource evidence,
    IDecisionStore decisions,
    IArtifactStore artifacts,
    Hosting.PipelineMetrics metrics,
    TimeProvider time,
    ILogger<SignArtifactService> logger)
{
    /// <summary>States in which HarborBridge's signature may be written: a redelivered or reordered approval for an artifact
    /// quarantined, deleted or not decided since must not sign it.</summary>
    private static bool MaySign(ArtifactState state) => state is ArtifactState.Approved or ArtifactState.Warned or ArtifactState.AtRisk or ArtifactState.Released;

    public async Task SignAsync(ConsumeContext context, ArtifactRef artifact, SigningDecision decision, DecidedReport? report)
    {
        var cancellationToken = context.CancellationToken;
        if (!signer.IsEnabled)
        {
            LogDisabled(logger, artifact.Project, artifact.Repository, artifact.Digest);
            return;
        }

        var status = await decisions.GetStatusAsync(artifact, cancellationToken);
        if (status is { } known && !MaySign(known.State))
        {
            LogNotSigning(logger, artifact.Project, artifact.Repository, artifact.Digest, decision.DecisionId, known.State);
            metrics.TransitionRefused(known.State, "sign");
            return;
        }

        // The decision as stored names the upstream signatures and provenance it verified and the VEX statements it used,
        // for the decision attestation (the messages carry only its id).
        if ((await decisions.GetDecisionsAsync(artifact.Digest, cancellationToken)).FirstOrDefault(d => d.DecisionId == decision.DecisionId) is { } stored)
        {
            decision = decision with
            {
                UpstreamVerified = Core.Policy.VerifiedRequirement.FromDecisionJson(stored.DecisionJson),
                VexStatementsUsed = UsedVexStatements.FromDecisionJson(stored.DecisionJson),
            };
        }

        using var timer = metrics.Stage("sign");
        ArtifactSignature signature;
        try
        {
            signature = await signer.SignAsync(artifact,
                await evidence.WithEvidenceAsync(artifact, decision, report, cancellationToken), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ArtifactSigningException(
                $"Signing {artifact.Project}/{artifact.Repository}@{artifact.Digest} failed: {e.Message}", e);
        }

        metrics.SignatureVerified(signature.Added);
        LogSigned(logger, artifact.Project, artifact.Repository, artifact.Digest, signature.SignatureReference, signature.Added);
        if (status?.State == ArtifactState.Released)
        {
            // Signed again after a release from quarantine: the release is complete.
            await decisions.ApplyAsync(new LifecycleChange(artifact, new SignedAfterReleaseCause(), $"{decision.DecisionId}:{artifact}:signed",
                $"signed again after the release ({signature.SignatureReference})", "harborbridge", time.GetUtcNow()), cancellationToken);
        }

        foreach (var written in signature.Written ?? [])
        {
            // For the dashboard and the API: which signature manifest, in which format, since when.
            await artifacts.RecordEventAsync(History.SignatureRecords.ToEvent(artifact, signature, written, decision.DecisionId, time.GetUtcNow()), null, cancellationToken);
        }

        await context.Publish(new ArtifactSigned(decision.DecisionId, artifact, signature.SignatureReference, signature.KeyId, time.GetUtcNow()), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing is disabled (HarborBridge:Signing:KeyFile not set); not signing {Project}/{Repository}@{Digest}")]
    private static partial void LogDisabled(ILogger logger, string project, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not signing {Project}/{Repository}@{Digest} for decision {DecisionId}: it is {State} now")]
    private static partial void LogNotSigning(ILogger logger, string project, string repository, string digest, string decisionId, ArtifactState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed {Project}/{Repository}@{Digest}: {SignatureReference} (new: {Added})")]
    private static partial void LogSigned(ILogger logger, string project, string repository, string digest, string signatureReference, bool added);
}
