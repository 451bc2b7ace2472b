using HarborBridge.Contracts;
using HarborBridge.Harbor;
using HarborBridge.Quarantine;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Consumers;

/// <summary>A blocked artifact is quarantined with the policy's strategies; <see cref="ArtifactQuarantined"/> follows.
/// Without Harbor (embedded default, direct Trivy mode) there is nothing to quarantine in: logged, not retried.</summary>
internal sealed partial class QuarantineArtifactConsumer(IServiceProvider services, IOptions<HarborOptions> harbor, ILogger<QuarantineArtifactConsumer> logger)
    : IConsumer<ArtifactBlocked>
{
    public async Task Consume(ConsumeContext<ArtifactBlocked> context)
    {
        var a = context.Message.Artifact;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Digest"] = a.Digest });
        if (!harbor.Value.IsConfigured)
        {
            LogNoHarbor(logger, a.Project, a.Repository, a.Digest);
            return;
        }

        await services.GetRequiredService<QuarantineService>().ApplyAsync(context.Message, context, context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor is not configured (HarborBridge:Harbor:Url): {Project}/{Repository}@{Digest} is blocked but cannot be quarantined")]
    private static partial void LogNoHarbor(ILogger logger, string project, string repository, string digest);
}

/// <summary>Release requested by another component (granted exception, clean rescan): undo the quarantine.
/// A release that cannot complete is recorded with what is left; publishing the command again retries it.</summary>
internal sealed partial class ReleaseArtifactConsumer(IServiceProvider services, IOptions<HarborOptions> harbor, ILogger<ReleaseArtifactConsumer> logger)
    : IConsumer<ReleaseArtifact>
{
    public async Task Consume(ConsumeContext<ReleaseArtifact> context)
    {
        var m = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Digest"] = m.Artifact.Digest });
        if (!harbor.Value.IsConfigured)
        {
            LogNotReleased(logger, m.Artifact.Digest, ReleaseStatus.Incomplete, "Harbor is not configured (HarborBridge:Harbor:Url)");
            return;
        }

        var outcome = await services.GetRequiredService<QuarantineService>().ReleaseAsync(m, context, context.CancellationToken);
        if (outcome.Status is not ReleaseStatus.Released)
        {
            LogNotReleased(logger, m.Artifact.Digest, outcome.Status, string.Join("; ", outcome.Left));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Release of {Digest} ended as {Status}; left: {Left}")]
    private static partial void LogNotReleased(ILogger logger, string digest, ReleaseStatus status, string left);
}
