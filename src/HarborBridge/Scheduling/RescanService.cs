using System.Text;
using HarborBridge.Consumers;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Scheduling;
using HarborBridge.Harbor;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scheduling;

/// <summary>
/// Judges a decided artifact again against Harbor's current report and the policy in force:
/// Approved/Warned that now blocks → AtRisk with a fix-by deadline (<see cref="ArtifactAtRisk"/>); AtRisk that passes
/// again (an exception, or a report without the finding) → back to Approved/Warned; Quarantined that passes →
/// <see cref="ReleaseArtifact"/>. At the deadline an artifact still blocked is quarantined (<see cref="ArtifactBlocked"/>).
/// One Harbor call per artifact (the report); every step is idempotent per request id.
/// </summary>
internal sealed class RescanService(
    IServiceProvider services,
    IOptions<HarborOptions> harborOptions,
    IArtifactStore artifacts,
    IDecisionStore decisions,
    IScheduleStore schedule,
    PolicyProvider policies,
    TimeProvider time,
    ILogger<RescanService> logger)
{
    private IHarborClient Harbor => services.GetRequiredService<IHarborClient>();

    public async Task ReevaluateAsync(ReevaluateArtifact command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = command.Artifact;
        if (await CurrentStateAsync(a, cancellationToken) is not { } state || !harborOptions.Value.IsConfigured)
        {
            return;
        }

        var decision = await EvaluateAsync(a, cancellationToken);
        var blocks = decision.Verdict == Verdict.Block && decision.Enforced;
        switch (state)
        {
            case ArtifactStates.Approved or ArtifactStates.Warned when blocks:
                await PutAtRiskAsync(decision, command, publisher, cancellationToken);
                break;
            case ArtifactStates.AtRisk when !blocks:
                await ClearAtRiskAsync(decision, $"{command.RequestId}:cleared", command.Cause, publisher, cancellationToken);
                break;
            case ArtifactStates.Quarantined when decision.Verdict != Verdict.Block:
                logger.LogInformation("Quarantined {Project}/{Repository}@{Digest} passes the policy now; asking for its release", a.Project, a.Repository, a.Digest);
                await publisher.Publish(new ReleaseArtifact($"release:{command.RequestId}", a, "rescan",
                    $"passes the policy in force ({ScanOrchestrator.Reason(decision)})", "rescan", time.GetUtcNow()), cancellationToken);
                break;
        }
    }

    public async Task EnforceDeadlineAsync(EnforceAtRiskDeadline command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = command.Artifact;
        var deadline = await schedule.GetAtRiskAsync(a, cancellationToken);
        if (deadline is null || deadline.DecisionId != command.AtRiskDecisionId || !harborOptions.Value.IsConfigured)
        {
            return;
        }

        var causeId = $"deadline:{deadline.DecisionId}";
        var state = await CurrentStateAsync(a, cancellationToken);
        if (state != ArtifactStates.AtRisk)
        {
            // Released by an admin, deleted, or already enforced (a redelivery): republish what was decided, if anything.
            await schedule.ResolveAtRiskAsync(a, state ?? "deleted", time.GetUtcNow(), cancellationToken);
            if (state == ArtifactStates.Quarantined && (await decisions.GetDecisionsAsync(a.Digest, cancellationToken))
                    .FirstOrDefault(d => d.DecisionId == ScanOrchestrator.DecisionId(causeId, a)) is { } enforced)
            {
                await PublishAsync(enforced, publisher, cancellationToken);
            }

            return;
        }

        // The last look before quarantine: a fix or an exception may have arrived since the rescan.
        var decision = await EvaluateAsync(a, cancellationToken);
        if (!(decision.Verdict == Verdict.Block && decision.Enforced))
        {
            await ClearAtRiskAsync(decision, causeId, "fix-by deadline: passes now", publisher, cancellationToken);
            return;
        }

        var record = ScanOrchestrator.ToRecord(decision, causeId, null, $"fix-by deadline {deadline.FixBy:u} passed");
        var (stored, _) = await decisions.RecordDecisionAsync(record with { Reason = $"not fixed by {deadline.FixBy:u}: {record.Reason}" }, ArtifactStates.Quarantined, cancellationToken);
        await schedule.ResolveAtRiskAsync(a, "quarantined", time.GetUtcNow(), cancellationToken);
        logger.LogWarning("{Project}/{Repository}@{Digest} was not fixed by {FixBy}; blocking it", a.Project, a.Repository, a.Digest, deadline.FixBy);
        await PublishAsync(stored, publisher, cancellationToken);
    }

    private async Task PutAtRiskAsync(Decision decision, ReevaluateArtifact command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = decision.Artifact;
        var now = time.GetUtcNow();
        var fixBy = FixByDeadline.Compute(decision, policies.Current.Policy.RescanRulesInForce, now);
        var (stored, _) = await decisions.RecordDecisionAsync(ScanOrchestrator.ToRecord(decision, command.RequestId, null, command.Cause), ArtifactStates.AtRisk, cancellationToken);
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

    private async Task ClearAtRiskAsync(Decision decision, string causeId, string cause, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = decision.Artifact;
        var newState = decision.Verdict == Verdict.Pass ? ArtifactStates.Approved : ArtifactStates.Warned;
        var (stored, _) = await decisions.RecordDecisionAsync(ScanOrchestrator.ToRecord(decision, causeId, null, cause), newState, cancellationToken);
        await schedule.ResolveAtRiskAsync(a, "cleared", time.GetUtcNow(), cancellationToken);
        logger.LogInformation("{Project}/{Repository}@{Digest} is no longer at risk ({Reason})", a.Project, a.Repository, a.Digest, stored.Reason);
        await PublishAsync(stored, publisher, cancellationToken);
    }

    private async Task<Decision> EvaluateAsync(ArtifactRef a, CancellationToken cancellationToken)
    {
        var report = await Harbor.GetVulnerabilityReportAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        var scan = ReportReader.Read(Encoding.UTF8.GetBytes(report?.Json ?? "{}"));
        var (policy, kev) = policies.Current;
        return PolicyEvaluator.Evaluate(a, scan, policy, kev, time.GetUtcNow());
    }

    private async Task<string?> CurrentStateAsync(ArtifactRef a, CancellationToken cancellationToken) =>
        (await artifacts.FindByDigestAsync(a.Digest, cancellationToken))
            .FirstOrDefault(r => r.Artifact == a && r.DeletedAt is null)?.State;

    private static Task PublishAsync(DecisionRecord record, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var message = ScanOrchestrator.ToEvent(record);
        return publisher.Publish(message, message.GetType(), cancellationToken);
    }
}
