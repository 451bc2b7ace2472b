using HarborBridge.Contracts;
using HarborBridge.Harbor;
using HarborBridge.Quarantine;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Quarantine;

/// <summary>A blocked artifact is quarantined with the policy's strategies; <see cref="ArtifactQuarantined"/> follows.
/// Registered only where Harbor is configured (HarborMode).</summary>
internal sealed partial class QuarantineArtifactConsumer(IServiceProvider services, ILogger<QuarantineArtifactConsumer> logger)
    : IConsumer<ArtifactBlocked>
{
    public async Task Consume(ConsumeContext<ArtifactBlocked> context)
    {
        var a = context.Message.Artifact;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Digest"] = a.Digest });
        await services.GetRequiredService<QuarantineService>().ApplyAsync(context.Message, context, context.CancellationToken);
    }

}

/// <summary>Release requested by another component (granted exception, clean rescan): undo the quarantine.
/// A release that cannot complete is recorded with what is left; publishing the command again retries it.</summary>
internal sealed partial class ReleaseArtifactConsumer(IServiceProvider services, ILogger<ReleaseArtifactConsumer> logger)
    : IConsumer<ReleaseArtifact>
{
    public async Task Consume(ConsumeContext<ReleaseArtifact> context)
    {
        var m = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Digest"] = m.Artifact.Digest });
        var outcome = await services.GetRequiredService<ReleaseService>().ReleaseAsync(m, context, context.CancellationToken);
        if (outcome.Status is not ReleaseStatus.Released)
        {
            LogNotReleased(logger, m.Artifact.Digest, outcome.Status, string.Join("; ", outcome.Left));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Release of {Digest} ended as {Status}; left: {Left}")]
    private static partial void LogNotReleased(ILogger logger, string digest, ReleaseStatus status, string left);
}
