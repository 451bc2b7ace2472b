using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Scheduling;
using HarborBridge.Decisions;
using HarborBridge.Policy;
using MassTransit;

namespace HarborBridge.Scheduling;

/// <summary>
/// Judges a decided artifact again against its current report (from the evidence source it is decided with: Harbor's
/// report, or a new Trivy run) and the policy in force, through the artifact life cycle:
/// Approved/Warned that now blocks → AtRisk with a fix-by deadline (<see cref="ArtifactAtRisk"/>); AtRisk that passes
/// again (an exception, or a report without the finding) → back to Approved/Warned; Quarantined that passes on a newer
/// report or a changed policy → <see cref="ReleaseArtifact"/>. At the deadline an artifact still blocked is quarantined
/// (<see cref="ArtifactBlocked"/>). Every step is idempotent per request id.
/// </summary>
internal sealed class RescanService(
    IDecisionStore decisions,
    DecisionService decider,
    IScheduleStore schedule,
    PolicyProvider policies,
    TimeProvider time,
    ILogger<RescanService> logger)
{
    public async Task ReevaluateAsync(ReevaluateArtifact command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = command.Artifact;
        if (await decisions.GetStatusAsync(a, cancellationToken) is not { } status || status.State == ArtifactState.Deleted)
        {
            return;
        }

        if (await EvaluateAsync(a, cancellationToken) is not { } decision)
        {
            return;
        }

        var result = await decider.RecordAsync(decision, new RescanCause(decision.Verdict, decision.Enforced, decision.ReportCreatedAt, decision.PolicyVersion),
            command.RequestId, null, command.Cause, cancellationToken, skipIfUnchanged: true);
        if (result.Step.ReleaseRequested)
        {
            await decider.RequestReleaseAsync(a, command.RequestId, decision, "rescan", publisher, cancellationToken);
            return;
        }

        if (result.Decision is not { } stored || !(result.Recorded || result.DecisionInForce))
        {
            return;
        }

        var now = result.Recorded ? result.Step.To : result.From;
        if (now == ArtifactState.AtRisk)
        {
            await AnnounceAtRiskAsync(decision, stored, publisher, cancellationToken);
        }
        else if (result.From == ArtifactState.AtRisk || !result.Recorded)
        {
            await schedule.ResolveAtRiskAsync(a, "cleared", time.GetUtcNow(), cancellationToken);
            logger.LogInformation("{Project}/{Repository}@{Digest} is no longer at risk ({Reason})", a.Project, a.Repository, a.Digest, stored.Reason);
            await DecisionService.PublishAsync(stored, publisher, cancellationToken);
        }
    }

    public async Task EnforceDeadlineAsync(EnforceAtRiskDeadline command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = command.Artifact;
        var deadline = await schedule.GetAtRiskAsync(a, cancellationToken);
        if (deadline is null || deadline.DecisionId != command.AtRiskDecisionId)
        {
            return;
        }

        var causeId = $"deadline:{deadline.DecisionId}";
        var state = (await decisions.GetStatusAsync(a, cancellationToken))?.State;
        if (state != ArtifactState.AtRisk)
        {
            // Released by an admin, deleted, or already enforced (a redelivery): republish what was decided, if anything.
            await schedule.ResolveAtRiskAsync(a, state is null or ArtifactState.Deleted ? "deleted" : state.ToString()!, time.GetUtcNow(), cancellationToken);
            if (state == ArtifactState.Quarantined && (await decisions.GetDecisionsAsync(a.Digest, cancellationToken))
                    .FirstOrDefault(d => d.DecisionId == DecisionService.DecisionId(causeId, a)) is { } enforced)
            {
                await DecisionService.PublishAsync(enforced, publisher, cancellationToken);
            }

            return;
        }

        // The last look before quarantine: a fix or an exception may have arrived since the rescan. Without a report (the
        // scanner failed) nothing is decided; the deadline job asks again on its next run.
        if (await EvaluateAsync(a, cancellationToken) is not { } decision)
        {
            return;
        }

        var blocks = decision.Verdict == Verdict.Block && decision.Enforced;
        var result = await decider.RecordAsync(decision, new DeadlineCause(decision.Verdict, decision.Enforced), causeId, null,
            blocks ? $"fix-by deadline {deadline.FixBy:u} passed" : "fix-by deadline: passes now", cancellationToken,
            blocks ? r => r with { Reason = $"not fixed by {deadline.FixBy:u}: {r.Reason}" } : null);
        if (result.Decision is not { } stored || !(result.Recorded || result.DecisionInForce))
        {
            return;
        }

        await schedule.ResolveAtRiskAsync(a, blocks ? "quarantined" : "cleared", time.GetUtcNow(), cancellationToken);
        if (blocks)
        {
            logger.LogWarning("{Project}/{Repository}@{Digest} was not fixed by {FixBy}; blocking it", a.Project, a.Repository, a.Digest, deadline.FixBy);
        }

        await DecisionService.PublishAsync(stored, publisher, cancellationToken);
    }

    private async Task AnnounceAtRiskAsync(Decision decision, DecisionRecord stored, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = decision.Artifact;
        var now = time.GetUtcNow();
        var fixBy = FixByDeadline.Compute(decision, policies.Current.Policy.RescanRulesInForce, now);
        await schedule.OpenAtRiskAsync(new AtRiskDeadline(a, stored.DecisionId, fixBy, stored.Reason, now, null, null), cancellationToken);
        var deadline = await schedule.GetAtRiskAsync(a, cancellationToken) ?? throw new InvalidOperationException($"No at-risk deadline stored for {a}.");
        logger.LogWarning("{Project}/{Repository}@{Digest} now fails the policy ({Reason}); at risk until {FixBy}", a.Project, a.Repository, a.Digest, stored.Reason, deadline.FixBy);
        await publisher.Publish(new ArtifactAtRisk(stored.DecisionId, a, stored.Tag, stored.PolicyVersion, stored.ReportDigest, stored.Reason, stored.Findings,
            deadline.FixBy, stored.DecidedAt), cancellationToken);
        if (deadline.FixBy <= now)
        {
            // No time to fix (e.g. a known-exploited vulnerability): enforce now rather than at the next deadline run.
            await publisher.Publish(new EnforceAtRiskDeadline(a, deadline.DecisionId, deadline.FixBy, now), cancellationToken);
        }
    }

    /// <summary>The policy's verdict on the artifact's current report, or null when there is none to judge (the scanner
    /// failed, or a newer scan is replacing the report): a rescan without evidence changes nothing.</summary>
    private async Task<Decision?> EvaluateAsync(ArtifactRef a, CancellationToken cancellationToken)
    {
        var evidence = await decider.FetchAsync(a, cancellationToken);
        if (evidence.Report is null)
        {
            logger.LogWarning("No report to judge {Project}/{Repository}@{Digest} again ({Problem}); its verdict stays", a.Project, a.Repository, a.Digest,
                evidence.Failure ?? "a newer scan is running");
            return null;
        }

        return await decider.EvaluateAsync(a, evidence.Report, cancellationToken);
    }
}
