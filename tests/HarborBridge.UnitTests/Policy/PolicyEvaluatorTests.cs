using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Policy;

public sealed class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef App = new("team", "app", "sha256:" + new string('a', 64));

    public static TheoryData<string, string> EveryReportWithEveryPolicy()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in ReportFixtures.TrivyReports.Concat(ReportFixtures.HarborReports))
        {
            foreach (var policy in new[] { "default", "ignoreUnfixed", "strict" })
            {
                data.Add(file, policy);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryReportWithEveryPolicy))]
    public void Evaluate_EveryFixture_OutcomesMatchAnIndependentCount(string file, string variant)
    {
        // Policy variants and the same rules written out for the independent count below.
        var (yaml, blockAt, warnAt, ignoreUnfixed, secrets) = variant switch
        {
            "default" => ("version: 1\n", "CRITICAL", "HIGH", false, "warn"),
            "ignoreUnfixed" => ("version: 1\ndefaults: { ignoreUnfixed: true }\n", "CRITICAL", "HIGH", true, "warn"),
            _ => ("version: 1\ndefaults:\n  block: { severity: HIGH }\n  warn: { severity: LOW }\n  secrets: block\n  misconfigurations: block\n",
                "HIGH", "LOW", false, "block"),
        };
        var raw = ReportFixtures.Walk(file);
        var vulns = raw.Where(r => r.Class == "vulnerability")
            .GroupBy(r => (r.Id, r.Package, r.Version))
            .Select(g => g.OrderByDescending(r => ReportFixtures.Rank(r.Severity)).First())
            .ToList();
        var counted = vulns.Where(v => v.Status != "not_affected" && !(ignoreUnfixed && v.Fixed.Trim().Length == 0)).ToList();
        var expectedBlock = counted.Count(v => ReportFixtures.Rank(v.Severity) >= ReportFixtures.Rank(blockAt));
        var expectedWarn = counted.Count(v => ReportFixtures.Rank(v.Severity) >= ReportFixtures.Rank(warnAt) &&
                                              ReportFixtures.Rank(v.Severity) < ReportFixtures.Rank(blockAt));
        var secretCount = raw.Count(r => r.Class == "secret");
        var failedChecks = raw.Count(r => r.Class == "misconfiguration" && r.Status == "fail");
        if (secrets == "block")
        {
            expectedBlock += secretCount + failedChecks;
        }
        else
        {
            expectedWarn += secretCount + failedChecks;
        }

        var decision = PolicyEvaluator.Evaluate(App, ReportReader.Read(ReportFixtures.Bytes(file)), PolicyLoader.Load(yaml), null, Now);

        Assert.Equal(expectedBlock, decision.Count(FindingOutcome.Block));
        Assert.Equal(expectedWarn, decision.Count(FindingOutcome.Warn));
        Assert.Equal(vulns.Count + secretCount + raw.Count(r => r.Class == "misconfiguration"), decision.Findings.Count);
        var expectedVerdict = expectedBlock > 0 ? Verdict.Block : expectedWarn > 0 ? Verdict.Warn : Verdict.Pass;
        Assert.Equal(expectedVerdict, decision.Verdict);
        Assert.Equal(ReportReader.Read(ReportFixtures.Bytes(file)).Digest, decision.ReportDigest);
    }

    [Fact]
    public void Evaluate_IgnoreUnfixedOnCentos7_LeavesWhatTrivysOwnIgnoreUnfixedOutputHas()
    {
        // Trivy's golden pair: centos-7-ignore-unfixed is centos-7 after --ignore-unfixed.
        var policy = PolicyLoader.Load("version: 1\ndefaults: { ignoreUnfixed: true, warn: { severity: UNKNOWN } }\n");
        var full = PolicyEvaluator.Evaluate(App, Read("trivy/centos-7.json.golden"), policy, null, Now);
        var trivyFiltered = ReportReader.Read(ReportFixtures.Bytes("trivy/centos-7-ignore-unfixed.json.golden"));

        var kept = full.Findings.Where(f => f.Outcome != FindingOutcome.Ignored).Select(f => PolicyEvaluator.Label(f.Finding)).Order();
        Assert.Equal(trivyFiltered.Findings.Select(PolicyEvaluator.Label).Order(), kept);
        Assert.Contains(full.Findings, f => f.Outcome == FindingOutcome.Ignored && f.Finding.Status == "will_not_fix");
    }

    [Fact]
    public void Evaluate_ActiveGlobalException_WaivesTheCveAndSaysSo()
    {
        var policy = PolicyLoader.Load("""
            version: 1
            exceptions:
              - id: CVE-2019-14697
                expires: 2026-11-27
                reason: musl is not used by the application
                owner: team@example.com
                ticket: SEC-1
            """);

        var decision = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, Now);

        // alpine-39: CVE-2019-14697 (CRITICAL) in musl and musl-utils, four MEDIUM findings.
        Assert.Equal(Verdict.Pass, decision.Verdict);
        Assert.Equal(2, decision.Count(FindingOutcome.Excepted));
        var applied = Assert.Single(decision.AppliedExceptions);
        Assert.Equal(["CVE-2019-14697 musl-utils@1.1.20-r4", "CVE-2019-14697 musl@1.1.20-r4"], applied.Findings.Order(StringComparer.Ordinal));
        Assert.Empty(decision.ExpiredExceptions);
    }

    [Fact]
    public void Evaluate_ExpiredException_StopsApplyingAndIsListedAsExpired()
    {
        var policy = PolicyLoader.Load("""
            version: 1
            exceptions:
              - id: CVE-2019-14697
                expires: 2026-11-26
                reason: musl is not used by the application
            """);

        var decision = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, Now);

        Assert.Equal(Verdict.Block, decision.Verdict);
        Assert.Equal(2, decision.Count(FindingOutcome.Block));
        Assert.Empty(decision.AppliedExceptions);
        var expired = Assert.Single(decision.ExpiredExceptions);
        Assert.Equal(2, expired.Findings.Count);
        Assert.Contains("Expired exceptions (no longer applied) (1)", DecisionRenderer.ToText(decision), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ project: other }", false)]
    [InlineData("{ project: team, repository: \"frontend/*\" }", false)]
    [InlineData("{ digest: \"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" }", false)]
    [InlineData("{ project: \"te*\", repository: \"a?p\" }", true)]
    [InlineData("{ digest: \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" }", true)]
    public void Evaluate_ScopedException_AppliesOnlyInsideItsScope(string scope, bool inScope)
    {
        var policy = PolicyLoader.Load($"""
            version: 1
            exceptions:
              - id: CVE-2019-14697
                scope: {scope}
                reason: accepted here only
            """);

        var decision = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, Now);

        // Out of scope the two CRITICAL musl findings block; in scope the four MEDIUM ones are below the warn threshold.
        Assert.Equal(inScope ? Verdict.Pass : Verdict.Block, decision.Verdict);
        Assert.Equal(inScope ? 1 : 0, decision.AppliedExceptions.Count);
        Assert.Empty(decision.ExpiredExceptions);
    }

    [Theory]
    [InlineData("musl", 1)]                                                    // package name
    [InlineData("pkg:apk/alpine/musl", 1)]                                     // PURL without version: every version
    [InlineData("pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64", 1)]               // PURL with version and a qualifier it has
    [InlineData("pkg:apk/alpine/musl@1.1.20-r5", 0)]                           // another version
    [InlineData("pkg:apk/alpine/musl?arch=arm64", 0)]                          // a qualifier with another value
    public void Evaluate_PackageOrPurlException_MatchesByTheDocumentedRules(string id, int expectedExcepted)
    {
        var policy = PolicyLoader.Load($"version: 1\nexceptions:\n  - id: \"{id}\"\n    reason: test\n");

        var decision = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, Now);

        Assert.Equal(expectedExcepted, decision.Count(FindingOutcome.Excepted));
    }

    [Fact]
    public void Evaluate_KevListedMediumAndUnfixed_BlocksRegardlessOfSeverityAndIgnoreUnfixed()
    {
        // centos-7: CVE-2019-18276 (bash, LOW) is the will_not_fix (unfixed) entry; alpine-39 CVE-2019-1549 is MEDIUM.
        var kev = KevCatalog.Parse("""
            { "title": "test catalog", "catalogVersion": "2026.11.27", "count": 2,
              "vulnerabilities": [ { "cveID": "CVE-2019-1549", "vendorProject": "OpenSSL" }, { "cveID": "CVE-2019-18276" } ] }
            """);
        var policy = PolicyLoader.Load("version: 1\ndefaults: { ignoreUnfixed: true }\nkev: { file: kev.json }\n");

        var alpine = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, kev, Now);
        var centos = PolicyEvaluator.Evaluate(App, Read("trivy/centos-7.json.golden"), policy, kev, Now);

        Assert.Equal(["CVE-2019-14697", "CVE-2019-14697", "CVE-2019-1549", "CVE-2019-1549"], alpine.Blocking.Select(f => f.Finding.Id).Order());
        Assert.All(alpine.Blocking.Where(f => f.Finding.Id == "CVE-2019-1549"), f => Assert.True(f.KnownExploited));
        var unfixed = Assert.Single(centos.Blocking);
        Assert.Equal("CVE-2019-18276", unfixed.Finding.Id);
        Assert.False(unfixed.Finding.HasFix);
        Assert.Equal("2026.11.27", alpine.KevCatalogVersion);
    }

    [Fact]
    public void Evaluate_KevWithBlockFalse_IsNotApplied()
    {
        var kev = KevCatalog.Parse("""{ "vulnerabilities": [ { "cveID": "CVE-2019-1549" } ] }""");
        var policy = PolicyLoader.Load("version: 1\nkev: { file: kev.json, block: false }\n");

        var decision = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, kev, Now);

        Assert.DoesNotContain(decision.Blocking, f => f.Finding.Id == "CVE-2019-1549");
    }

    [Fact]
    public void Evaluate_SameVulnerabilityInTwoTargets_IsOneFindingWithBothTargets()
    {
        var node = JsonNode.Parse(ReportFixtures.Bytes("trivy/alpine-39.json.golden"))!;
        var copy = node["Results"]![0]!.DeepClone();
        copy["Target"] = "second layer";
        node["Results"]!.AsArray().Add(copy);
        var report = ReportReader.Read(Encoding.UTF8.GetBytes(node.ToJsonString()));

        var decision = PolicyEvaluator.Evaluate(App, report, PolicyLoader.Load("version: 1"), null, Now);

        Assert.Equal(12, report.Findings.Count);
        Assert.Equal(6, decision.Findings.Count);
        Assert.All(decision.Findings, f => Assert.Equal(2, f.Targets.Count));
        Assert.Equal(2, decision.Count(FindingOutcome.Block));
    }

    [Fact]
    public void Evaluate_DryRunProject_RecordsBlockButDoesNotEnforce()
    {
        var policy = PolicyLoader.Load("""
            version: 1
            projects:
              - match: { project: "payments*" }
                enforcement: enforce
              - match: { project: "te*", repository: "*" }
                enforcement: dryrun
            """);

        var decision = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, Now);

        Assert.Equal(Verdict.Block, decision.Verdict);
        Assert.False(decision.Enforced);
        Assert.Equal(Enforcement.DryRun, decision.Enforcement);
        Assert.StartsWith("projects[1]", decision.RuleSource, StringComparison.Ordinal);
        Assert.Contains("dry run", DecisionRenderer.ToText(decision), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ProjectOverride_FirstMatchWinsAndUnsetKeysInherit()
    {
        var policy = PolicyLoader.Load("""
            version: 1
            defaults:
              block: { severity: CRITICAL }
              warn: { severity: LOW }
            projects:
              - match: { project: team, repository: "app" }
                block: { severity: MEDIUM }
              - match: { project: team }
                block: { severity: NONE }
            """);

        var first = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, Now);
        var second = PolicyEvaluator.Evaluate(App with { Repository = "other" }, Read("trivy/alpine-39.json.golden"), policy, null, Now);

        Assert.Equal(6, first.Count(FindingOutcome.Block));
        Assert.Equal(0, second.Count(FindingOutcome.Block));
        Assert.Equal(6, second.Count(FindingOutcome.Warn));  // warn LOW inherited from the defaults
    }

    [Fact]
    public void Evaluate_CvssThresholdWithNvdPreference_BlocksByTheNvdScore()
    {
        var file = "harbor/harbor-trivy-vuln.json";
        var policy = PolicyLoader.Load("version: 1\ndefaults:\n  block: { severity: NONE, cvss: 7.5 }\n  warn: { severity: NONE }\n  cvssSources: [nvd]\n");
        // Independent count: items whose vendor_attributes.CVSS.nvd V3Score (else V2Score) is at least 7.5.
        using var doc = System.Text.Json.JsonDocument.Parse(ReportFixtures.Bytes(file));
        var expected = 0;
        foreach (var item in doc.RootElement.EnumerateObject().First().Value.GetProperty("vulnerabilities").EnumerateArray())
        {
            if (item.TryGetProperty("vendor_attributes", out var va) && va.ValueKind == System.Text.Json.JsonValueKind.Object &&
                va.TryGetProperty("CVSS", out var cvss) && cvss.TryGetProperty("nvd", out var nvd))
            {
                var score = nvd.TryGetProperty("V3Score", out var v3) ? v3.GetDouble() : nvd.TryGetProperty("V2Score", out var v2) ? v2.GetDouble() : 0;
                expected += score >= 7.5 ? 1 : 0;
            }
        }

        var decision = PolicyEvaluator.Evaluate(App, Read(file), policy, null, Now);

        Assert.True(expected > 0);
        Assert.Equal(expected, decision.Count(FindingOutcome.Block));
        Assert.All(decision.Blocking, f => Assert.StartsWith("block.cvss: nvd", f.Rule, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_UnknownSeverityJudgedAsHigh_Warns()
    {
        var report = ReportReader.Read("""{"SchemaVersion":2,"Results":[{"Target":"go.mod","Vulnerabilities":[{"VulnerabilityID":"GO-2024-0001","PkgName":"x","InstalledVersion":"1.0.0"}]}]}"""u8);

        var plain = PolicyEvaluator.Evaluate(App, report, PolicyLoader.Load("version: 1"), null, Now);
        var judged = PolicyEvaluator.Evaluate(App, report, PolicyLoader.Load("version: 1\ndefaults: { unknownSeverity: HIGH }"), null, Now);

        Assert.Equal(Verdict.Pass, plain.Verdict);
        Assert.Equal(Verdict.Warn, judged.Verdict);
    }

    [Fact]
    public void Evaluate_ReportOlderThanMaxReportAge_Blocks()
    {
        // alpine-310 was created 2021-08-25T12:20:30Z.
        var policy = PolicyLoader.Load("version: 1\ndefaults: { maxReportAge: 2d, block: { severity: NONE }, warn: { severity: NONE } }\n");
        var created = new DateTimeOffset(2021, 8, 25, 12, 20, 30, TimeSpan.Zero);

        var fresh = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-310.json.golden"), policy, null, created.AddDays(1));
        var stale = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-310.json.golden"), policy, null, created.AddDays(3));

        Assert.Equal(Verdict.Pass, fresh.Verdict);
        Assert.Equal(Verdict.Block, stale.Verdict);
        Assert.Contains("maxReportAge", stale.ReportRule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hold", Verdict.Block)]
    [InlineData("quarantine", Verdict.Block)]
    [InlineData("allow", Verdict.Warn)]
    public void Evaluate_NoReport_FollowsOnScanFailure(string onScanFailure, Verdict expected)
    {
        var policy = PolicyLoader.Load($"version: 1\ndefaults: {{ onScanFailure: {onScanFailure} }}\n");

        var decision = PolicyEvaluator.Evaluate(App, ReportReader.Read("{}"u8), policy, null, Now);

        Assert.Equal(expected, decision.Verdict);
        Assert.Contains("no scan report", decision.ReportRule, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ExceptionExpiringToday_StillAppliesUntilTheEndOfTheDayUtc()
    {
        var policy = PolicyLoader.Load("version: 1\nexceptions:\n  - id: CVE-2019-14697\n    expires: 2026-11-27\n    reason: r\n");
        var lastMoment = new DateTimeOffset(2026, 11, 27, 23, 59, 59, TimeSpan.Zero);

        var before = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, lastMoment);
        var after = PolicyEvaluator.Evaluate(App, Read("trivy/alpine-39.json.golden"), policy, null, lastMoment.AddSeconds(1));

        Assert.Single(before.AppliedExceptions);
        Assert.Single(after.ExpiredExceptions);
    }

    [Fact]
    public void Evaluate_SecretsAndMisconfigurations_FollowTheirSettings()
    {
        var file = "trivy/misconfigurations_and_secrets.json";
        var blocking = PolicyLoader.Load("version: 1\ndefaults: { secrets: block, misconfigurations: ignore, warn: { severity: NONE }, block: { severity: NONE } }\n");

        var decision = PolicyEvaluator.Evaluate(App, Read(file), blocking, null, Now);

        Assert.Equal(2, decision.Count(FindingOutcome.Block));
        Assert.All(decision.Blocking, f => Assert.Equal(FindingClass.Secret, f.Finding.Class));
        Assert.Equal(FindingOutcome.Ignored, decision.Findings.Single(f => f.Finding.Class == FindingClass.Misconfiguration).Outcome);
    }

    private static ScanReport Read(string file) => ReportReader.Read(ReportFixtures.Bytes(file));
}
