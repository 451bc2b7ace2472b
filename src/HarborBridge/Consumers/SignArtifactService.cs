using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using MassTransit;

namespace HarborBridge.Consumers;

/// <summary>What both sign consumers do: sign, verify what was written, then publish <see cref="ArtifactSigned"/>.
/// A failure throws, so MassTransit retries and the artifact is never reported signed.</summary>
internal sealed partial class SignArtifactService(IArtifactSigner signer, TimeProvider time, ILogger<SignArtifactService> logger)
{
    public async Task SignAsync(ConsumeContext context, string decisionId, ArtifactRef artifact)
    {
        var cancellationToken = context.CancellationToken;
        if (!signer.IsEnabled)
        {
            LogDisabled(logger, artifact.Project, artifact.Repository, artifact.Digest);
            return;
        }

        using var timer = Hosting.HarborBridgeMetrics.Stage("sign");
        var signature = await signer.SignAsync(artifact, cancellationToken);
        var check = await signer.VerifyAsync(artifact, cancellationToken);
        if (!check.Verified)
        {
            throw new InvalidOperationException(
                $"The signature of {artifact.Project}/{artifact.Repository}@{artifact.Digest} does not verify after signing: {check.Explanation}");
        }

        Hosting.HarborBridgeMetrics.SignatureVerified(signature.Added);
        LogSigned(logger, artifact.Project, artifact.Repository, artifact.Digest, signature.SignatureReference, signature.Added);
        await context.Publish(new ArtifactSigned(decisionId, artifact, signature.SignatureReference, signature.KeyId, time.GetUtcNow()), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing is disabled (HarborBridge:Signing:KeyFile not set); not signing {Project}/{Repository}@{Digest}")]
    private static partial void LogDisabled(ILogger logger, string project, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed {Project}/{Repository}@{Digest}: {SignatureReference} (new: {Added})")]
    private static partial void LogSigned(ILogger logger, string project, string repository, string digest, string signatureReference, bool added);
}
