using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Quarantine;

/// <summary>The operator alert raised when Harbor refuses a quarantine or release step for lack of a permission.</summary>
internal sealed partial class QuarantineAlerts(TimeProvider time, ILogger<QuarantineAlerts> logger)
{
    public async Task ForbiddenAsync(IPublishEndpoint publisher, ArtifactRef a, string strategy, Exception e, CancellationToken cancellationToken)
    {
        var permission = HarborPermissions.For(e);
        LogForbidden(logger, strategy, a.Project, a.Repository, a.Digest, permission);
        await publisher.Publish(new OperatorAlertRaised($"harbor-permission:{permission}", "quarantine",
            $"Harbor refused HarborBridge's {strategy} step: missing permission {permission}",
            $"Give HarborBridge's robot account '{permission}' on project {a.Project} (see docs/quarantine.md for the full list), then release or re-run the quarantine.",
            a, time.GetUtcNow()), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor refused the {Strategy} step for {Project}/{Repository}@{Digest}: missing permission {Permission}")]
    private static partial void LogForbidden(ILogger logger, string strategy, string project, string repository, string digest, string permission);
}
