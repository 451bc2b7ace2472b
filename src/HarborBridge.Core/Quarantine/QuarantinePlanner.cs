using System.Text.Json;
using HarborBridge.Contracts;

namespace HarborBridge.Core.Quarantine;

/// <summary>One strategy of a plan: to apply now, or in force already (and whether for this very decision, i.e. a
/// redelivery).</summary>
public sealed record PlannedStrategy(string Strategy, bool InForce, bool ForThisDecision);

/// <summary>What quarantining an artifact for a decision takes: the strategies in apply order, where the artifact is now
/// (in the quarantine project when a <c>move</c> is in force), and whether the quarantine project must be made sure of
/// first (a <c>move</c> still to apply).</summary>
public sealed record QuarantinePlan(IReadOnlyList<PlannedStrategy> Strategies, ArtifactRef Location, bool NeedsQuarantineProject)
{
    public bool Redelivered => Strategies.Any(s => s.ForThisDecision);
}

/// <summary>Plans a quarantine from the policy's strategies and the steps recorded before: a step recorded for the same
/// decision, or one still applied from an earlier decision, is in force and is not applied again.</summary>
public static class QuarantinePlanner
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static QuarantinePlan Plan(ArtifactRef artifact, string decisionId, IEnumerable<string> configured, IReadOnlyDictionary<string, QuarantineStep> recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var strategies = QuarantineStrategies.InApplyOrder(configured)
            .Select(s => recorded.TryGetValue(s, out var step) && (step.DecisionId == decisionId || step.Status == QuarantineStepStatus.Applied)
                ? new PlannedStrategy(s, true, step.DecisionId == decisionId)
                : new PlannedStrategy(s, false, false))
            .ToList();
        var moved = recorded.GetValueOrDefault(QuarantineStrategies.Move) is { Status: QuarantineStepStatus.Applied } m
            ? JsonSerializer.Deserialize<MovePrior>(m.PriorJson, Json)
            : null;
        var location = moved is null ? artifact : new ArtifactRef(moved.QuarantineProject, moved.QuarantineRepository, artifact.Digest);
        var needsProject = strategies.Any(s => s.Strategy == QuarantineStrategies.Move && !s.InForce);
        return new QuarantinePlan(strategies, location, needsProject);
    }
}
