using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Scheduling;

namespace HarborBridge.UnitTests.Scheduling;

public sealed class FixByDeadlineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('b', 64));
    private static readonly RescanRules Rules = new(
        new Dictionary<Severity, TimeSpan> { [Severity.Critical] = TimeSpan.FromDays(7), [Severity.High] = TimeSpan.FromDays(30) },
        TimeSpan.FromDays(60));

    private static JudgedFinding Blocking(string id, Severity severity, bool kev = false, FindingOutcome outcome = FindingOutcome.Block) => new(
        new Finding(FindingClass.Vulnerability, id, "openssl", null, null, "3.0.1", ["3.0.2"], "fixed", severity, [], null, null, "image"),
        ["image"], outcome, "block.severity", kev, null, null, null);

    private static Decision DecisionWith(params JudgedFinding[] findings) => new(
        Artifact, Verdict.Block, true, Enforcement.Enforce, "defaults", null, "sha256:policy", "sha256:report", ReportFormat.HarborV11, "Trivy",
        Now, null, Now, findings, [], [], []);

    [Fact]
    public void Compute_CriticalFinding_SevenDaysFromNow()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero), FixByDeadline.Compute(DecisionWith(Blocking("CVE-1", Severity.Critical)), Rules, Now));
    }

    [Fact]
    public void Compute_HighAndCritical_EarliestDeadlineWins()
    {
        var decision = DecisionWith(Blocking("CVE-1", Severity.High), Blocking("CVE-2", Severity.Critical));

        Assert.Equal(Now.AddDays(7), FixByDeadline.Compute(decision, Rules, Now));
    }

    [Fact]
    public void Compute_KnownExploited_NoTimeAtAll()
    {
        var decision = DecisionWith(Blocking("CVE-1", Severity.High, kev: true), Blocking("CVE-2", Severity.Critical));

        Assert.Equal(Now, FixByDeadline.Compute(decision, Rules, Now));
    }

    [Fact]
    public void Compute_SeverityNotListed_UsesDefault()
    {
        Assert.Equal(Now.AddDays(60), FixByDeadline.Compute(DecisionWith(Blocking("CVE-1", Severity.Medium)), Rules, Now));
    }

    [Fact]
    public void Compute_OnlyWarnings_ReportLevelBlockUsesDefault()
    {
        var decision = DecisionWith(Blocking("CVE-1", Severity.Critical, outcome: FindingOutcome.Warn));

        Assert.Equal(Now.AddDays(60), FixByDeadline.Compute(decision, Rules, Now));
    }
}
