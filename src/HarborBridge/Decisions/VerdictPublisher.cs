using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;
using MassTransit;

namespace HarborBridge.Decisions;

/// <summary>Publishes what the life cycle recorded: the verdict event of a decision (only while it is the verdict in force,
/// so a reordered or redelivered cause never announces an overtaken verdict), and the decision of every image index the
/// artifact belongs to once all its platforms are judged (worst verdict wins).</summary>
internal sealed class VerdictPublisher(IDecisionStore decisions, TimeProvider time)
{
    /// <summary>Publishes the verdict of a recorded decision (or of a redelivered one still in force), then decides any image
    /// index the artifact belongs to once all its platforms are judged. <paramref name="report"/> (the Harbor report just
    /// decided on) travels with the verdict event so that the signer need not read it again; <paramref name="decided"/> is the
    /// decision just evaluated, whose exceptions the event carries when it is the one recorded now.</summary>
    public async Task PublishOutcomeAsync(LifecycleResult result, IPublishEndpoint publisher, CancellationToken cancellationToken, DecidedReport? report = null,
        Decision? decided = null)
    {
        if (result.Decision is { } stored && (result.Recorded || result.DecisionInForce))
        {
            await PublishAsync(stored, publisher, cancellationToken, report, result.Recorded ? decided : null);
        }
    }

    /// <summary>A redelivered cause whose decision is stored: publish it again only while it is the verdict in force.</summary>
    public async Task RepublishIfInForceAsync(DecisionRecord decided, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        if ((await decisions.GetStatusAsync(decided.Artifact, cancellationToken))?.DecisionId == decided.DecisionId)
        {
            await PublishAsync(decided, publisher, cancellationToken);
        }
    }

    private async Task PublishAsync(DecisionRecord stored, IPublishEndpoint publisher, CancellationToken cancellationToken, DecidedReport? report = null,
        Decision? decided = null)
    {
        await DecisionService.PublishAsync(stored, publisher, cancellationToken, report, decided);
        foreach (var index in await decisions.GetParentsAsync(stored.Artifact, cancellationToken))
        {
            await DecideIndexIfCompleteAsync(index, null, publisher, cancellationToken);
        }
    }

    /// <summary>Decides an image index once every platform manifest has a decision (worst verdict wins).</summary>
    public async Task DecideIndexIfCompleteAsync(ArtifactRef index, string? tag, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var latest = new List<DecisionRecord>();
        foreach (var child in await decisions.GetChildrenAsync(index, cancellationToken))
        {
            var decided = (await decisions.GetDecisionsAsync(child, cancellationToken))
                .Where(d => d.Artifact.Project == index.Project && d.Artifact.Repository == index.Repository)
                .MaxBy(d => d.DecidedAt);
            if (decided is null)
            {
                return; // not all platforms are judged yet
            }

            latest.Add(decided);
        }

        if (latest.Count > 0)
        {
            var record = IndexDecisions.Aggregate(index, tag, latest, time.GetUtcNow());
            var verdict = Enum.Parse<Verdict>(record.Verdict);
            var result = await decisions.ApplyAsync(new LifecycleChange(index, new ScanVerdictCause(verdict, record.Enforced, record.DecidedAt),
                $"{record.DecisionId}:scan-verdict", record.Reason, "policy", record.DecidedAt, record, record.DecidedAt), cancellationToken);
            await PublishOutcomeAsync(result, publisher, cancellationToken);
        }
    }
}
