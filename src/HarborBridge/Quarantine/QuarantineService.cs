using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Policy;
using HarborBridge.Quarantine.Strategies;
using MassTransit;

namespace HarborBridge.Quarantine;

/// <summary>
/// Applies the policy's quarantine strategies to a blocked artifact (<see cref="QuarantinePlanner"/> says which, in which
/// order, and which are in force already). Every strategy is recorded with the exact state it replaced
/// (<see cref="IQuarantineStore"/>); a step already recorded for the same decision is never applied twice, so a
/// redelivered <see cref="ArtifactBlocked"/> changes nothing. Every change is an audited transition through the life
/// cycle, which also refuses a block overtaken by a newer decision. A call Harbor refuses for lack of a permission (403)
/// raises an <see cref="OperatorAlertRaised"/> naming it and leaves the rest for a retry. Release: <see cref="ReleaseService"/>.
/// </summary>
internal sealed partial class QuarantineService(
    IHarborClient harbor,
    IEnumerable<IQuarantineStrategy> strategies,
    IQuarantineStore store,
    IDecisionStore decisions,
    PolicyProvider policy,
    QuarantineProjects quarantineProjects,
    QuarantineAlerts alerts,
    Hosting.PipelineMetrics metrics,
    TimeProvider time,
    ILogger<QuarantineService> logger)
{
    private const string Actor = "harborbridge";

    public async Task ApplyAsync(ArtifactBlocked blocked, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocked);
        var a = blocked.Artifact;
        if (!blocked.Enforced)
        {
            LogDryRun(logger, a.Project, a.Repository, a.Digest);
            return;
        }

        // A blocking decision overtaken by a newer one (a release, a newer passing report) applies nothing: the life cycle
        // says whether the artifact may still be quarantined.
        if (await decisions.GetStatusAsync(a, cancellationToken) is { } status
            && ArtifactLifecycle.Next(status, new QuarantineAppliedCause()) is { Allowed: false } refused)
        {
            logger.LogWarning("Not quarantining {Artifact} for decision {DecisionId}: {Refusal}", a, blocked.DecisionId, refused.Refusal);
            metrics.TransitionRefused(status.State, "quarantine-applied");
            return;
        }

        var (document, _) = policy.Current;
        var rules = document.Resolve(a.Project, a.Repository).Rules;
        var steps = (await store.GetStepsAsync(a, cancellationToken)).ToDictionary(s => s.Strategy, StringComparer.Ordinal);
        var plan = QuarantinePlanner.Plan(a, blocked.DecisionId, rules.Quarantine.Strategies, steps);
        var location = plan.Location;
        var current = await harbor.GetArtifactAsync(location.Project, location.Repository, a.Digest, cancellationToken);
        var now = time.GetUtcNow();
        if (current is null)
        {
            await decisions.ApplyAsync(new LifecycleChange(a, new DeletedCause(now), $"{blocked.DecisionId}:quarantine-gone",
                "quarantine not applied: the artifact no longer exists in Harbor", Actor, now), cancellationToken);
            return;
        }

        // The quarantine project is made sure of before any strategy is applied: when it cannot be created, nothing is
        // changed at all (prevent-pull and unsign come before move and would otherwise stay half-applied).
        var (target, left) = plan.NeedsQuarantineProject
            ? await EnsureQuarantineProjectAsync(publisher, a, rules.Quarantine.Project, cancellationToken)
            : (null, null);
        var applied = plan.Strategies.Where(s => s.InForce).Select(s => s.Strategy).ToList();
        var changes = new List<string>();
        foreach (var planned in plan.Strategies.Where(s => !s.InForce))
        {
            if (left is not null)
            {
                break;
            }

            try
            {
                var strategy = strategies.Single(s => s.Name == planned.Strategy);
                var done = await strategy.ApplyAsync(new QuarantineContext(blocked, location, current.Tags, rules, document.Exceptions, target), cancellationToken);
                location = done.Location ?? location;
                await store.SaveStepAsync(new QuarantineStep(a, planned.Strategy, blocked.DecisionId, QuarantineStepStatus.Applied, done.Prior, done.Detail, now, null),
                    cancellationToken);
                applied.Add(planned.Strategy);
                changes.Add(done.Detail);
            }
            catch (Exception e) when (HarborPermissions.IsForbidden(e))
            {
                left = $"{planned.Strategy} not applied: Harbor refused ({HarborPermissions.For(e)} is missing)";
                await alerts.ForbiddenAsync(publisher, a, planned.Strategy, e, cancellationToken);
                break;
            }
        }

        applied = QuarantineStrategies.InApplyOrder(applied).ToList();
        var again = changes.Count == 0 && left is null;
        if (again)
        {
            if (!plan.Redelivered)
            {
                LogNothingToDo(logger, a.Project, a.Repository, a.Digest, blocked.DecisionId);
                return;
            }

            // This decision's steps were all saved before, but ArtifactQuarantined may never have gone out (the broker
            // refused the publish, or the process died before it): announce it again. The transition keeps its id, so it
            // is recorded once; notifications are claimed per decision and delivery, so nobody is told twice.
            changes.AddRange(applied.Select(s => steps[s].Detail ?? s));
        }

        var cause = (changes.Count > 0 ? "quarantine applied: " + string.Join("; ", changes) : "quarantine not applied")
            + (left is null ? "" : "; " + left) + $" (why: {blocked.Reason})";
        await decisions.ApplyAsync(new LifecycleChange(a, new QuarantineAppliedCause(), $"{blocked.DecisionId}:quarantine:{string.Join('+', applied)}",
            cause, Actor, now), cancellationToken);
        if (left is null)
        {
            await publisher.Publish(new ArtifactQuarantined(blocked.DecisionId, a, blocked.Tag, applied, blocked.Reason, blocked.Findings, now), cancellationToken);
            if (!again)
            {
                metrics.ArtifactQuarantined("policy");
            }

            LogQuarantined(logger, a.Project, a.Repository, a.Digest, string.Join(", ", applied));
        }
    }

    /// <summary>Writes the CVE allowlist of every project where <c>prevent-pull</c> is in force again from the policy in
    /// force now (exceptions granted, changed or removed since it was applied); a project whose list is right already
    /// is not written. Returns the projects written.</summary>
    public async Task<IReadOnlyList<string>> RefreshAllowlistsAsync(CancellationToken cancellationToken)
    {
        var preventPull = strategies.OfType<PreventPullStrategy>().Single();
        var written = await preventPull.RefreshAllowlistsAsync(policy.Current.Policy.Exceptions, cancellationToken);
        foreach (var project in written)
        {
            LogAllowlistRefreshed(logger, project);
        }

        return written;
    }

    /// <summary>What the <c>prevent-pull</c> allowlists are computed from (the policy version and, while a project that
    /// reused the system CVE allowlist is under <c>prevent-pull</c>, that list): when it changes, the lists are written again.</summary>
    public Task<string> AllowlistInputsAsync(CancellationToken cancellationToken) =>
        strategies.OfType<PreventPullStrategy>().Single().AllowlistInputsAsync(policy.Current.Policy.PolicyVersion, cancellationToken);

    /// <summary>The quarantine project's state, or (null, what was not done) after an operator alert when Harbor refused
    /// to look it up or create it.</summary>
    private async Task<(QuarantineProjectState? State, string? Left)> EnsureQuarantineProjectAsync(
        IPublishEndpoint publisher, ArtifactRef a, string project, CancellationToken cancellationToken)
    {
        try
        {
            return (await quarantineProjects.EnsureAsync(harbor, project, cancellationToken), null);
        }
        catch (Exception e) when (HarborPermissions.IsForbidden(e) || e is HarborApiException { StatusCode: 400 })
        {
            var forbidden = HarborPermissions.IsForbidden(e);
            var permission = HarborPermissions.For(e);
            var problem = forbidden
                ? $"the quarantine project '{project}' does not exist and Harbor refused to create it ({permission} is missing)"
                : $"the quarantine project '{project}' does not exist and Harbor refused to create it: {e.Message}";
            LogQuarantineProjectRefused(logger, project, a.Project, a.Repository, a.Digest, forbidden ? permission : e.Message);
            await publisher.Publish(new OperatorAlertRaised(
                forbidden ? $"harbor-permission:{permission}" : $"quarantine-configuration:{QuarantineStrategies.Move}:{project}", "quarantine",
                forbidden ? $"Harbor refused to create the quarantine project '{project}': missing permission {permission}"
                    : $"Harbor refused to create the quarantine project '{project}'",
                $"Nothing was quarantined. Create the project '{project}' in Harbor (private, prevent_vul true, severity none)"
                    + (forbidden ? $" or give HarborBridge's robot account the system permission '{permission}'" : " or change quarantine.project in the policy")
                    + ", then let the next decision retry.",
                a, time.GetUtcNow()), cancellationToken);
            return (null, $"{QuarantineStrategies.Move} not applied: {problem}; no strategy was applied");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CVE allowlist of project {Project} written again from the policy in force")]
    private static partial void LogAllowlistRefreshed(ILogger logger, string project);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy in dry-run: not quarantining {Project}/{Repository}@{Digest}")]
    private static partial void LogDryRun(ILogger logger, string project, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quarantine of {Project}/{Repository}@{Digest} for decision {DecisionId} is in place already; nothing changed")]
    private static partial void LogNothingToDo(ILogger logger, string project, string repository, string digest, string decisionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quarantined {Project}/{Repository}@{Digest}: {Strategies}")]
    private static partial void LogQuarantined(ILogger logger, string project, string repository, string digest, string strategies);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor refused to create the quarantine project {QuarantineProject}, nothing quarantined for {Project}/{Repository}@{Digest}: {Problem}")]
    private static partial void LogQuarantineProjectRefused(ILogger logger, string quarantineProject, string project, string repository, string digest, string problem);
}
