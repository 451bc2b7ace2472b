using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Policy;

/// <summary>The policy impact preview's diff: expected changes are worked out by hand from each artifact's findings and the
/// two policies' thresholds, written next to each case.</summary>
public sealed class PolicyPreviewTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private const string InForce = "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  warn: { severity: HIGH }\n";

    // Stricter: HIGH blocks, MEDIUM warns, unfixed findings do not count; project "legacy" keeps the old thresholds.
    private const string Stricter = """
        version: 1
        defaults:
          block: { severity: HIGH }
          warn: { severity: MEDIUM }
          ignoreUnfixed: true
        projects:
          - match: { project: "legacy", repository: "*" }
            block: { severity: CRITICAL }
            warn: { severity: HIGH }
            ignoreUnfixed: false
        rescan:
          fixWithin: { HIGH: 3d }
        """;

    private static Finding Vuln(string id, Severity severity, string? fix) =>
        new(FindingClass.Vulnerability, id, "pkg-" + id, null, null, "1.0", fix is null ? [] : [fix], fix is null ? "affected" : "fixed", severity, [], null, null,
            "target");

    private static ArtifactRef Ref(string project, string repository, char digit) => new(project, repository, "sha256:" + new string(digit, 64));

    /// <summary>An artifact decided by <see cref="InForce"/> on a report with these findings, stored as the pipeline stores it.</summary>
    private static StoredArtifact Decided(ArtifactRef artifact, params Finding[] findings)
    {
        var report = new ScanReport(ReportFormat.HarborV11, true, "sha256:" + new string('f', 64), Now.AddHours(-1), "Trivy", null, findings);
        var decision = PolicyEvaluator.Evaluate(artifact, report, PolicyLoader.Load(InForce, "in-force.yaml"), Now, PolicyInputs.None);
        return new StoredArtifact(artifact, ArtifactLifecycle.VerdictState(decision.Verdict, decision.Enforced), DecisionRenderer.ToJson(decision));
    }

    private static PolicyImpact Preview(string candidate, params StoredArtifact[] artifacts)
    {
        var preview = new PolicyPreview(PolicyLoader.Load(candidate, "candidate.yaml"), PolicyInputs.None, Now);
        foreach (var artifact in artifacts)
        {
            preview.Add(artifact);
        }

        return preview.Result();
    }

    [Fact]
    public void Preview_StricterPolicy_EachArtifactChangesAsWorkedOutByHand()
    {
        var clean = Ref("team", "clean", '1');        // no findings: Approved -> pass: unchanged
        var high = Ref("team", "high", '2');          // HIGH fixed: Warned -> HIGH >= HIGH blocks: Blocked
        var unfixed = Ref("team", "unfixed", '3');    // HIGH unfixed: Warned -> ignored (ignoreUnfixed): pass: Cleared
        var critical = Ref("team", "critical", '4');  // CRITICAL fixed: Quarantined -> still blocks: unchanged
        var medium = Ref("team", "medium", '5');      // MEDIUM fixed: Approved -> MEDIUM >= MEDIUM warns: Warned
        var legacy = Ref("legacy", "high", '6');      // HIGH fixed in "legacy": Warned -> old thresholds: unchanged

        var impact = Preview(Stricter,
            Decided(clean),
            Decided(high, Vuln("CVE-2026-0002", Severity.High, "2.0"), Vuln("CVE-2026-0012", Severity.Low, "2.0")),
            Decided(unfixed, Vuln("CVE-2026-0003", Severity.High, null)),
            Decided(critical, Vuln("CVE-2026-0004", Severity.Critical, "2.0")),
            Decided(medium, Vuln("CVE-2026-0005", Severity.Medium, "2.0")),
            Decided(legacy, Vuln("CVE-2026-0006", Severity.High, "2.0")));

        Assert.Equal(6, impact.Judged);
        Assert.Equal((1, 1, 0, 1, 3), (impact.Count(PreviewChange.Blocked), impact.Count(PreviewChange.Warned), impact.Count(PreviewChange.Released),
            impact.Count(PreviewChange.Cleared), impact.Count(PreviewChange.Unchanged)));

        var blocked = Assert.Single(impact.Changes, c => c.Change == PreviewChange.Blocked);
        Assert.Equal((high, ArtifactState.Warned, Verdict.Block), (blocked.Artifact, blocked.From, blocked.Verdict));
        // Only the HIGH finding decides; the LOW one is below the warn threshold.
        var deciding = Assert.Single(blocked.Findings);
        Assert.Equal(("CVE-2026-0002", "HIGH", "block"), (deciding.Id, deciding.Severity, deciding.Outcome));
        Assert.Equal(Now.AddDays(3), blocked.FixBy); // rescan.fixWithin.HIGH: 3d
        Assert.Equal(medium, Assert.Single(impact.Changes, c => c.Change == PreviewChange.Warned).Artifact);
        Assert.Equal(unfixed, Assert.Single(impact.Changes, c => c.Change == PreviewChange.Cleared).Artifact);

        // Per scope: "legacy" has its own entry with one unchanged artifact; the defaults hold the other five.
        var scopes = impact.Scopes.ToDictionary(s => s.Scope.Split(' ')[0], s => s);
        Assert.Equal(1, scopes["projects[0]"].Unchanged);
        Assert.Empty(scopes["projects[0]"].Changes);
        Assert.Equal(2, scopes["defaults"].Unchanged);
        Assert.Equal(3, scopes["defaults"].Changes.Count);
    }

    [Fact]
    public void ToText_TheWorkedExampleInPolicyMd_IsWhatTheRendererPrints()
    {
        // docs/policy.md shows this preview as `harborbridge policy preview` prints it; the page must not drift from the code.
        var impact = Preview(Stricter,
            Decided(Ref("team", "clean", '1')),
            Decided(Ref("team", "high", '2'), Vuln("CVE-2026-0002", Severity.High, "2.0"), Vuln("CVE-2026-0012", Severity.Low, "2.0")),
            Decided(Ref("team", "unfixed", '3'), Vuln("CVE-2026-0003", Severity.High, null)),
            Decided(Ref("team", "critical", '4'), Vuln("CVE-2026-0004", Severity.Critical, "2.0")),
            Decided(Ref("team", "medium", '5'), Vuln("CVE-2026-0005", Severity.Medium, "2.0")),
            Decided(Ref("legacy", "high", '6'), Vuln("CVE-2026-0006", Severity.High, "2.0")));

        var text = PolicyImpactRenderer.ToText(impact);

        var page = File.ReadAllText(RepositoryFiles.PathOf("docs/policy.md")).Replace("\r", "", StringComparison.Ordinal);
        Assert.True(page.Contains(text.Replace(impact.CandidateVersion, "sha256:…", StringComparison.Ordinal), StringComparison.Ordinal),
            "docs/policy.md does not show the current output:\n" + text);
    }

    [Fact]
    public void Preview_ExceptionForTheBlockingCve_ReleasesTheQuarantinedArtifactOnly()
    {
        var critical = Ref("team", "critical", '4');  // CRITICAL CVE-2026-0004 excepted -> HIGH left: warn: Released
        var other = Ref("team", "other", '7');        // CRITICAL CVE-2026-0007, not excepted: unchanged
        var candidate = InForce + "exceptions:\n  - id: CVE-2026-0004\n    reason: not reachable\n    owner: sec@example.com\n";

        var impact = Preview(candidate,
            Decided(critical, Vuln("CVE-2026-0004", Severity.Critical, "2.0"), Vuln("CVE-2026-0014", Severity.High, "2.0")),
            Decided(other, Vuln("CVE-2026-0007", Severity.Critical, "2.0")));

        var released = Assert.Single(impact.Changes);
        Assert.Equal((critical, PreviewChange.Released, ArtifactState.Quarantined, Verdict.Warn),
            (released.Artifact, released.Change, released.From, released.Verdict));
        Assert.Null(released.FixBy);
        Assert.Equal(1, impact.Count(PreviewChange.Unchanged));
    }

    [Fact]
    public void Preview_SamePolicyOverEveryReportFixture_ChangesNothing()
    {
        // The stored decision's findings are the report the preview judges: the policy that made it must judge it the same.
        var policy = PolicyLoader.Load("version: 1\ndefaults:\n  block: { severity: HIGH, cvss: 9.0 }\n  warn: { severity: LOW }\n  secrets: block\n", "p.yaml");
        var preview = new PolicyPreview(policy, PolicyInputs.None, Now);
        var i = 0;
        foreach (var file in ReportFixtures.TrivyReports.Concat(ReportFixtures.HarborReports))
        {
            var artifact = Ref("team", "fixture" + i++, 'a');
            var decision = PolicyEvaluator.Evaluate(artifact, ReportReader.Read(ReportFixtures.Bytes(file)), policy, Now, PolicyInputs.None);
            preview.Add(new StoredArtifact(artifact, ArtifactLifecycle.VerdictState(decision.Verdict, decision.Enforced), DecisionRenderer.ToJson(decision)));
        }

        var impact = preview.Result();
        Assert.Equal(i, impact.Judged);
        Assert.Empty(impact.Changes);
    }

    [Fact]
    public void Preview_UnreadableStoredDecision_LeftOutAndNamed()
    {
        var broken = new StoredArtifact(Ref("team", "broken", '8'), ArtifactState.Approved, "{not json");

        var impact = Preview(Stricter, broken);

        Assert.Equal((0, 1), (impact.Judged, impact.Unreadable));
        Assert.Contains(impact.Notes, n => n.Contains("team/broken", StringComparison.Ordinal));
    }

    [Fact]
    public void Preview_UnmetRequirementInForce_KeptAndSaidSo()
    {
        // A stored decision blocked by an unmet `require` entry (its findings alone would pass): the preview cannot verify
        // signatures, so a candidate that still requires them keeps the block and says so.
        var artifact = Ref("team", "unsigned", '9');
        var json = """{"verdict":"block","reportDigest":"sha256:00","findings":[],"requirements":[{"requirement":"signatures[0]","met":false,"action":"block"}]}""";
        var candidate = "version: 1\ndefaults:\n  block: { severity: HIGH }\n  require:\n    action: block\n    signatures:\n      - key: ci.pub\n";

        var kept = Preview(candidate, new StoredArtifact(artifact, ArtifactState.Quarantined, json));
        var dropped = Preview("version: 1\n", new StoredArtifact(artifact, ArtifactState.Quarantined, json));

        Assert.Equal(1, kept.Count(PreviewChange.Unchanged));
        Assert.Contains(PolicyPreview.RequireNote, kept.Notes);
        Assert.Equal(PreviewChange.Released, Assert.Single(dropped.Changes).Change); // the candidate no longer requires signatures
    }

    [Theory]
    [InlineData(ArtifactState.Approved, Verdict.Block, true, PreviewChange.Blocked)]
    [InlineData(ArtifactState.Warned, Verdict.Block, true, PreviewChange.Blocked)]
    [InlineData(ArtifactState.Approved, Verdict.Block, false, PreviewChange.Warned)]   // dry run: recorded as a warning
    [InlineData(ArtifactState.Warned, Verdict.Block, false, PreviewChange.Unchanged)]
    [InlineData(ArtifactState.Approved, Verdict.Warn, true, PreviewChange.Warned)]
    [InlineData(ArtifactState.Warned, Verdict.Pass, true, PreviewChange.Cleared)]
    [InlineData(ArtifactState.Quarantined, Verdict.Pass, true, PreviewChange.Released)]
    [InlineData(ArtifactState.AtRisk, Verdict.Warn, true, PreviewChange.Released)]
    [InlineData(ArtifactState.AtRisk, Verdict.Block, true, PreviewChange.Unchanged)]
    [InlineData(ArtifactState.Quarantined, Verdict.Block, false, PreviewChange.Released)] // a dry-run scope lets it out
    public void Classify_StateAndCandidateVerdict_Change(ArtifactState from, Verdict verdict, bool enforced, PreviewChange expected) =>
        Assert.Equal(expected, PolicyPreview.Classify(from, verdict, enforced));
}
