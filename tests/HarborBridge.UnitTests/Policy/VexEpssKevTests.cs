using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Policy;

/// <summary>OpenVEX statements, EPSS thresholds and KEV actions as policy inputs, over real report fixtures.
/// Expected values come from reading the fixtures (alpine-39: CVE-2019-14697 CRITICAL in musl and musl-utils,
/// CVE-2019-1549 and CVE-2019-1551 MEDIUM in libssl1.1 and libcrypto1.1; spring4shell-jre11: CVE-2022-22965 CRITICAL).</summary>
public sealed class VexEpssKevTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef App = new("team", "app", "sha256:" + new string('a', 64));
    private static readonly ArtifactRef OtherDigest = new("team", "app", "sha256:" + new string('b', 64));

    private static ScanReport Alpine39 => ReportReader.Read(ReportFixtures.Bytes("trivy/alpine-39.json.golden"));

    private static VexDocument AlpineVex => VexDocument.Parse(File.ReadAllText(ReportFixtures.PathOf("vex/alpine-39.openvex.json")), "vex/alpine-39.openvex.json");

    private static PolicyInputs WithVex(VexDocument document) =>
        new(Vex: new Dictionary<string, VexDocument> { ["vex/alpine-39.openvex.json"] = document });

    private const string VexPolicy = "version: 1\ndefaults:\n  warn: { severity: MEDIUM }\n  vex: [vex/alpine-39.openvex.json]\n";

    [Fact]
    public void Evaluate_NotAffectedStatementForTheImage_SuppressesExactlyThoseFindingsAndTheVerdictChanges()
    {
        var policy = PolicyLoader.Load(VexPolicy);
        var without = PolicyEvaluator.Evaluate(App, Alpine39, PolicyLoader.Load("version: 1\ndefaults:\n  warn: { severity: MEDIUM }\n"), Now, PolicyInputs.None);

        var decision = PolicyEvaluator.Evaluate(App, Alpine39, policy, Now, WithVex(AlpineVex));

        Assert.Equal(Verdict.Block, without.Verdict);
        Assert.Equal(Verdict.Warn, decision.Verdict);
        var suppressed = decision.Findings.Where(f => f.Rule.StartsWith("vex:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["musl", "musl-utils"], suppressed.Select(f => f.Finding.PackageName).Order());
        Assert.All(suppressed, f =>
        {
            Assert.Equal("CVE-2019-14697", f.Finding.Id);
            Assert.Equal(FindingOutcome.Ignored, f.Outcome);
            Assert.Contains("not_affected (vulnerable_code_not_in_execute_path)", f.Rule, StringComparison.Ordinal);
            Assert.Contains("vex/alpine-39.openvex.json statements[0]", f.Rule, StringComparison.Ordinal);
        });

        // Everything else is judged as without VEX: the four MEDIUM findings still warn.
        Assert.Equal(without.Findings.Count(f => f.Outcome == FindingOutcome.Warn), decision.Warnings.Count());
        var used = Assert.Single(decision.VexStatements, v => v.Suppresses);
        Assert.Equal(["CVE-2019-14697 musl-utils@1.1.20-r4", "CVE-2019-14697 musl@1.1.20-r4"], used.Findings.Order(StringComparer.Ordinal));
        Assert.Equal("https://openvex.dev/docs/example/vex-harborbridge-alpine-39", used.DocumentId);

        var text = DecisionRenderer.ToText(decision);
        Assert.Contains("Not counted because of VEX statements (1):", text, StringComparison.Ordinal);
        Assert.Contains("The image runs on x86_64", text, StringComparison.Ordinal);
        Assert.Contains("\"vexStatements\"", DecisionRenderer.ToJson(decision), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_UnderInvestigationStatement_ChangesNothingButIsShown()
    {
        var decision = PolicyEvaluator.Evaluate(App, Alpine39, PolicyLoader.Load(VexPolicy), Now, WithVex(AlpineVex));
        var without = PolicyEvaluator.Evaluate(App, Alpine39, PolicyLoader.Load("version: 1\ndefaults:\n  warn: { severity: MEDIUM }\n"), Now, PolicyInputs.None);

        var investigated = decision.Findings.Where(f => f.Finding.Id == "CVE-2019-1551").ToList();
        Assert.Equal(2, investigated.Count);
        Assert.All(investigated, f =>
        {
            Assert.Equal(FindingOutcome.Warn, f.Outcome);
            Assert.Equal("under_investigation", f.Vex?.Status);
            Assert.Equal(without.Findings.Single(w => w.Finding.Id == f.Finding.Id && w.Finding.PackageName == f.Finding.PackageName).Rule, f.Rule);
        });
        Assert.Contains("VEX: under_investigation", DecisionRenderer.ToText(decision), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_StatementForAnotherDigestOrScopeWithoutVex_DoesNotApply()
    {
        var other = PolicyEvaluator.Evaluate(OtherDigest, Alpine39, PolicyLoader.Load(VexPolicy), Now, WithVex(AlpineVex));
        var otherScope = PolicyEvaluator.Evaluate(App, Alpine39,
            PolicyLoader.Load(VexPolicy + "projects:\n  - match: { project: team }\n    vex: []\n"), Now, WithVex(AlpineVex));

        Assert.Equal(Verdict.Block, other.Verdict);
        Assert.Empty(other.VexStatements);
        Assert.Equal(Verdict.Block, otherScope.Verdict);
    }

    [Fact]
    public void Evaluate_StatementWithdrawnFromTheDocument_BlocksAgain()
    {
        // The same document with the not_affected statement turned into "affected" (a withdrawal by its author).
        var edited = File.ReadAllText(ReportFixtures.PathOf("vex/alpine-39.openvex.json"))
            .Replace("\"status\": \"not_affected\"", "\"status\": \"affected\", \"action_statement\": \"upgrade musl\"", StringComparison.Ordinal);

        var decision = PolicyEvaluator.Evaluate(App, Alpine39, PolicyLoader.Load(VexPolicy), Now, WithVex(VexDocument.Parse(edited, "vex/alpine-39.openvex.json")));

        Assert.Equal(Verdict.Block, decision.Verdict);
        Assert.Equal(["musl", "musl-utils"], decision.Blocking.Select(f => f.Finding.PackageName).Order());
    }

    [Fact]
    public void Parse_TrivysPublishedDocuments_ReadsNamesAliasesAndJustifications()
    {
        var gomod = VexDocument.Parse(File.ReadAllText(ReportFixtures.PathOf("vex/trivy-gomod.openvex.json")), "trivy-gomod.openvex.json");
        var trivy = VexDocument.Parse(File.ReadAllText(ReportFixtures.PathOf("vex/trivy.openvex.json")), "trivy.openvex.json");

        var only = Assert.Single(gomod.Statements);
        Assert.Equal("CVE-2022-23628", only.Vulnerability); // given as the vulnerability's @id only
        Assert.Equal("pkg:golang/github.com/open-policy-agent/opa@v0.35.0", Assert.Single(Assert.Single(only.Products).Subcomponents));
        Assert.Equal("Aqua Security", trivy.Author);
        Assert.Equal(21, trivy.Statements.Count);
        Assert.All(trivy.Statements, s => Assert.Equal("not_affected", s.Status));
        Assert.True(trivy.Statements[0].Names("CVE-2024-26147"));
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{"@context":"https://example.com","@id":"x","statements":[]}""", "not an OpenVEX document")]
    [InlineData("""{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/a/b"}],"status":"not_affected"}]}""",
        "statements[0] is not_affected but gives neither")]
    [InlineData("""{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/a/b"}],"status":"gone"}]}""",
        "statements[0].status is 'gone'")]
    public void Parse_BadDocument_NamesTheFileAndTheProblem(string json, string expected)
    {
        var error = Assert.Throws<PolicyFileException>(() => VexDocument.Parse(json, "team.vex.json"));

        Assert.StartsWith("team.vex.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_EpssThresholdOnBlock_BlocksOnlyFindingsWithTheScoreAndShowsScoreAndDate()
    {
        var epss = EpssScores.Parse(File.ReadAllText(ReportFixtures.PathOf("epss/epss_scores-2026-12-04.csv")), "epss_scores-2026-12-04.csv");
        var policy = PolicyLoader.Load("version: 1\ndefaults:\n  block: { severity: MEDIUM, epssAtLeast: 0.1 }\n  warn: { severity: HIGH }\nepss: { file: epss.csv }\n");

        var decision = PolicyEvaluator.Evaluate(App, Alpine39, policy, Now, new PolicyInputs(Epss: epss));

        // Fixture scores: CVE-2019-1551 0.15003 (>= 0.1), CVE-2019-14697 0.01234, CVE-2019-1549 0.00345.
        Assert.Equal(Verdict.Block, decision.Verdict);
        Assert.Equal(["libcrypto1.1", "libssl1.1"], decision.Blocking.Select(f => f.Finding.PackageName).Order());
        Assert.All(decision.Blocking, f =>
        {
            Assert.Equal("CVE-2019-1551", f.Finding.Id);
            Assert.Equal("block.severity: MEDIUM >= MEDIUM, epss 0.15003 >= 0.1 (EPSS 2026-12-04)", f.Rule);
        });
        Assert.Equal(["CVE-2019-14697", "CVE-2019-14697"], decision.Warnings.Select(f => f.Finding.Id));
        Assert.Equal(FindingOutcome.Pass, decision.Findings.First(f => f.Finding.Id == "CVE-2019-1549").Outcome);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 12, 55, 0, TimeSpan.Zero), decision.EpssScoreDate);
        Assert.Contains("EPSS 0.01234 (percentile 0.78512, scores of 2026-12-04)", DecisionRenderer.ToText(decision), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MalformedEpssFile_NamesFileAndLine()
    {
        var error = Assert.Throws<PolicyFileException>(() =>
            EpssScores.Parse(File.ReadAllText(ReportFixtures.PathOf("epss/epss_scores-malformed.csv")), "epss_scores-malformed.csv"));

        Assert.Equal("epss_scores-malformed.csv: line 4: epss 'high' is not a number between 0 and 1.", error.Message);
    }

    [Fact]
    public void Parse_EpssFileWithoutHeader_SaysItIsNotFirstsCsv()
    {
        var error = Assert.Throws<PolicyFileException>(() => EpssScores.Parse("CVE-2019-1551,0.1,0.9\n", "scores.csv"));

        Assert.Equal("scores.csv: line 1: expected the header 'cve,epss,percentile' (FIRST's EPSS CSV), found 'CVE-2019-1551,0.1,0.9'.", error.Message);
    }

    [Fact]
    public void Load_EpssRuleWithoutEpssFile_IsAnError()
    {
        var error = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load("version: 1\ndefaults:\n  block: { severity: HIGH, epssAtLeast: 0.1 }\n", "policy.yaml"));

        Assert.StartsWith("policy.yaml: line 3, column ", error.Message, StringComparison.Ordinal);
        Assert.Contains("defaults.block.epssAtLeast: needs EPSS scores", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("ten")]
    public void Load_EpssThresholdOutOfRange_IsAnError(string value)
    {
        var error = Assert.Throws<PolicyFileException>(() =>
            PolicyLoader.Load($"version: 1\nepss: {{ file: e.csv }}\ndefaults:\n  block: {{ epssAtLeast: {value} }}\n", "policy.yaml"));

        Assert.Contains($"defaults.block.epssAtLeast: '{value}' is not an EPSS probability between 0 and 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_KevPerScope_BlockWarnOrIgnore()
    {
        var kev = KevCatalog.Parse(File.ReadAllText(ReportFixtures.PathOf("kev/known_exploited_vulnerabilities.json")), "kev.json");
        var report = ReportReader.Read(ReportFixtures.Bytes("trivy/spring4shell-jre11.json.golden"));
        var policy = PolicyLoader.Load("""
            version: 1
            kev: { file: kev.json }
            defaults:
              block: { severity: NONE }
              warn: { severity: NONE }
              kev: block
            projects:
              - match: { project: warned }
                kev: warn
              - match: { project: relaxed }
                kev: ignore
            """);

        var blocked = PolicyEvaluator.Evaluate(App, report, policy, kev, Now);
        var warned = PolicyEvaluator.Evaluate(App with { Project = "warned" }, report, policy, kev, Now);
        var relaxed = PolicyEvaluator.Evaluate(App with { Project = "relaxed" }, report, policy, kev, Now);

        var finding = Assert.Single(blocked.Blocking);
        Assert.Equal("CVE-2022-22965", finding.Finding.Id);
        Assert.Equal("kev: listed in CISA Known Exploited Vulnerabilities", finding.Rule);
        Assert.Equal("2026.12.04", blocked.KevCatalogVersion);
        Assert.Equal(Verdict.Warn, warned.Verdict);
        Assert.Equal(Verdict.Pass, relaxed.Verdict);
        Assert.Null(relaxed.KevCatalogVersion);
    }
}
