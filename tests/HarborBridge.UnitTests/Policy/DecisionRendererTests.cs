using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using Json.Schema;

namespace HarborBridge.UnitTests.Policy;

public sealed class DecisionRendererTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef App = new("team", "app", "sha256:" + new string('c', 64));
    private static readonly Lazy<JsonSchema> SarifSchema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "policy", "sarif", "sarif-schema-2.1.0.json"))));

    public static TheoryData<string> AllReports() => ReportFixtures.AllReports();

    [Theory]
    [MemberData(nameof(AllReports))]
    public void ToSarif_EveryFixture_IsValidSarif210WithOneResultPerBlockingWarningOrExceptedFinding(string file)
    {
        var policy = PolicyLoader.Load("version: 1\ndefaults: { warn: { severity: LOW } }\nexceptions:\n  - id: CVE-2019-14697\n    reason: test\n");
        var decision = PolicyEvaluator.Evaluate(App, ReportReader.Read(ReportFixtures.Bytes(file)), policy, null, Now);

        var sarif = DecisionRenderer.ToSarif(decision, "1.2.3");

        AssertValidSarif(sarif);
        var results = JsonNode.Parse(sarif)!["runs"]![0]!["results"]!.AsArray();
        var expected = ReportFixtures.Walk(file)
            .Where(r => r.Class != "misconfiguration" || r.Status == "fail")
            .Where(r => r.Class != "vulnerability" || ReportFixtures.Rank(r.Severity) >= ReportFixtures.Rank("LOW") || r.Id == "CVE-2019-14697")
            .Where(r => r.Status != "not_affected")
            .Select(r => (r.Class, r.Id, r.Package, r.Version, r.Class == "vulnerability" ? "" : r.Target))
            .Distinct()
            .Count();
        Assert.Equal(expected, results.Count);
        Assert.Equal(decision.Count(FindingOutcome.Block), results.Count(r => (string?)r!["level"] == "error"));
        Assert.All(results.Where(r => r!["suppressions"] is not null), r => Assert.Equal("CVE-2019-14697", (string?)r!["ruleId"]));
    }

    [Fact]
    public void SarifSchema_AcceptsTrivysOwnSarifAndRejectsABrokenLog()
    {
        // A third-party SARIF file proves the transcribed schema accepts real logs; a broken one proves it can fail.
        AssertValidSarif(File.ReadAllText(ReportFixtures.PathOf("trivy/alpine-310.sarif.golden")));
        var broken = JsonNode.Parse(DecisionRenderer.ToSarif(
            PolicyEvaluator.Evaluate(App, ReportReader.Read(ReportFixtures.Bytes("trivy/alpine-39.json.golden")), PolicyLoader.Load("version: 1"), null, Now), "1"))!;
        broken["runs"]![0]!["results"]![0]!["level"] = "fatal";

        using var doc = JsonDocument.Parse(broken.ToJsonString());
        Assert.False(SarifSchema.Value.Evaluate(doc.RootElement).IsValid);
    }

    [Fact]
    public void ToText_BlockedAlpine_SaysWhatToFix()
    {
        var decision = PolicyEvaluator.Evaluate(App, ReportReader.Read(ReportFixtures.Bytes("trivy/alpine-39.json.golden")),
            PolicyLoader.Load("version: 1"), null, Now);

        var text = DecisionRenderer.ToText(decision);

        Assert.StartsWith("BLOCK: team/app@sha256:", text, StringComparison.Ordinal);
        Assert.Contains("CVE-2019-14697  CRITICAL  musl 1.1.20-r4 -> 1.1.20-r5", text, StringComparison.Ordinal);
        Assert.Contains("https://avd.aquasec.com/nvd/cve-2019-14697", text, StringComparison.Ordinal);
        Assert.Contains("rule: block.severity: CRITICAL >= CRITICAL", text, StringComparison.Ordinal);
        Assert.Contains(decision.PolicyVersion, text, StringComparison.Ordinal);
        Assert.Contains(decision.ReportDigest, text, StringComparison.Ordinal);
    }

    [Fact]
    public void ToText_UnfixedFinding_SaysThereIsNoFixYet()
    {
        var decision = PolicyEvaluator.Evaluate(App, ReportReader.Read(ReportFixtures.Bytes("trivy/centos-7.json.golden")),
            PolicyLoader.Load("version: 1\ndefaults: { warn: { severity: LOW } }"), null, Now);

        Assert.Contains("CVE-2019-18276  LOW  bash 4.2.46-31.el7 -> no fixed version yet", DecisionRenderer.ToText(decision), StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_Decision_CarriesVerdictRuleVersionsAndFindings()
    {
        var policy = PolicyLoader.Load("version: 1\nexceptions:\n  - id: CVE-2019-1549\n    reason: r\n    expires: 2020-01-01\n");
        var decision = PolicyEvaluator.Evaluate(App, ReportReader.Read(ReportFixtures.Bytes("trivy/alpine-39.json.golden")), policy, null, Now);

        var json = JsonNode.Parse(DecisionRenderer.ToJson(decision))!;

        Assert.Equal("block", (string?)json["verdict"]);
        Assert.True((bool)json["enforced"]!);
        Assert.Equal(decision.PolicyVersion, (string?)json["policyVersion"]);
        Assert.Equal(decision.ReportDigest, (string?)json["reportDigest"]);
        Assert.Equal(2, (int)json["counts"]!["block"]!);
        var blocking = json["findings"]!.AsArray().Where(f => (string?)f!["outcome"] == "block").ToList();
        Assert.All(blocking, f => Assert.Equal("block.severity: CRITICAL >= CRITICAL", (string?)f!["rule"]));
        Assert.Equal(["1.1.20-r5"], blocking[0]!["fixedVersions"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("CVE-2019-1549", (string?)json["expiredExceptions"]![0]!["id"]);
    }

    private static void AssertValidSarif(string sarif)
    {
        using var doc = JsonDocument.Parse(sarif);
        var result = SarifSchema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? [];
        Assert.True(result.IsValid, string.Join("\n", errors));
    }
}
