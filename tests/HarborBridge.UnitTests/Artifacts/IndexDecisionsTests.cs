using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;

namespace HarborBridge.UnitTests.Artifacts;

public sealed class IndexDecisionsTests
{
    private static readonly ArtifactRef Index = new("web", "app", "sha256:" + new string('0', 64));
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static DecisionRecord Child(char digit, string verdict, bool enforced = true, params DecidingFinding[] findings) => new(
        $"dec-{digit}", Index with { Digest = "sha256:" + new string(digit, 64) }, null, verdict, enforced, "sha256:policy", $"sha256:report{digit}",
        $"{verdict} because of {digit}", "test", At, findings, "{}");

    private static readonly DecidingFinding Critical = new("CVE-2024-0001", "openssl", "3.0.1", "3.0.2", "CRITICAL", null, "Block");
    private static readonly DecidingFinding High = new("CVE-2024-0002", "zlib", "1.2", "1.3", "HIGH", null, "Warn");

    [Fact]
    public void Aggregate_OnePlatformBlocked_IndexBlockedWithAllFindings()
    {
        var decision = IndexDecisions.Aggregate(Index, "1.0", [Child('a', "Warn", true, High), Child('b', "Block", true, Critical, High), Child('c', "Pass")], At);

        Assert.Equal("Block", decision.Verdict);
        Assert.True(decision.Enforced);
        Assert.Equal(Index, decision.Artifact);
        Assert.Equal([High, Critical], decision.Findings.ToHashSet().OrderBy(f => f.Id == Critical.Id ? 1 : 0).ToList());
        Assert.Contains("3 platform manifests", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("sha256:bbbb", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregate_AllPass_IndexPasses()
    {
        Assert.Equal("Pass", IndexDecisions.Aggregate(Index, null, [Child('a', "Pass"), Child('b', "Pass")], At).Verdict);
    }

    [Fact]
    public void Aggregate_BlockOnlyInDryRun_NotEnforced()
    {
        var decision = IndexDecisions.Aggregate(Index, null, [Child('a', "Block", enforced: false), Child('b', "Warn")], At);

        Assert.Equal("Block", decision.Verdict);
        Assert.False(decision.Enforced);
    }

    [Fact]
    public void Aggregate_SameChildDecisionsInAnyOrder_SameDecisionId()
    {
        var first = IndexDecisions.Aggregate(Index, null, [Child('a', "Pass"), Child('b', "Warn")], At);
        var second = IndexDecisions.Aggregate(Index, null, [Child('b', "Warn"), Child('a', "Pass")], At.AddMinutes(5));
        var changed = IndexDecisions.Aggregate(Index, null, [Child('a', "Pass"), Child('c', "Warn")], At);

        Assert.Equal(first.DecisionId, second.DecisionId);
        Assert.NotEqual(first.DecisionId, changed.DecisionId);
    }
}
