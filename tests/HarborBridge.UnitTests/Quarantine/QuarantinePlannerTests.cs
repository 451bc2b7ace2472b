using HarborBridge.Contracts;
using HarborBridge.Core.Quarantine;

namespace HarborBridge.UnitTests.Quarantine;

public sealed class QuarantinePlannerTests
{
    private static readonly ArtifactRef Artifact = new("payments", "api", "sha256:" + new string('a', 64));
    private static readonly DateTimeOffset At = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static QuarantineStep Step(string strategy, string decisionId, string status, string prior = "{}") =>
        new(Artifact, strategy, decisionId, status, prior, null, At, null);

    [Fact]
    public void NothingRecorded_EveryStrategyToApply_InApplyOrder_QuarantineProjectFirst()
    {
        var plan = QuarantinePlanner.Plan(Artifact, "d1", ["label", "move", "unsign", "prevent-pull"], new Dictionary<string, QuarantineStep>());

        Assert.Equal(["prevent-pull", "unsign", "move", "label"], plan.Strategies.Select(s => s.Strategy));
        Assert.All(plan.Strategies, s => Assert.False(s.InForce));
        Assert.True(plan.NeedsQuarantineProject);
        Assert.False(plan.Redelivered);
        Assert.Equal(Artifact, plan.Location);
    }

    [Fact]
    public void StepsOfThisDecision_InForce_Redelivered()
    {
        var plan = QuarantinePlanner.Plan(Artifact, "d1", ["unsign", "label"], new Dictionary<string, QuarantineStep>
        {
            ["unsign"] = Step("unsign", "d1", QuarantineStepStatus.Applied),
        });

        Assert.True(plan.Strategies.Single(s => s.Strategy == "unsign") is { InForce: true, ForThisDecision: true });
        Assert.False(plan.Strategies.Single(s => s.Strategy == "label").InForce);
        Assert.True(plan.Redelivered);
        Assert.False(plan.NeedsQuarantineProject);
    }

    [Fact]
    public void MovedByAnEarlierDecision_InForce_ArtifactIsInTheQuarantineProject()
    {
        var plan = QuarantinePlanner.Plan(Artifact, "d2", ["move", "label"], new Dictionary<string, QuarantineStep>
        {
            ["move"] = Step("move", "d1", QuarantineStepStatus.Applied, """{"quarantineProject":"quarantine","quarantineRepository":"payments/api","tags":["v1"]}"""),
            ["label"] = Step("label", "d1", QuarantineStepStatus.Released),
        });

        Assert.True(plan.Strategies.Single(s => s.Strategy == "move") is { InForce: true, ForThisDecision: false });
        Assert.False(plan.Strategies.Single(s => s.Strategy == "label").InForce); // released before: applied again
        Assert.Equal(new ArtifactRef("quarantine", "payments/api", Artifact.Digest), plan.Location);
        Assert.False(plan.NeedsQuarantineProject);
        Assert.False(plan.Redelivered);
    }
}
