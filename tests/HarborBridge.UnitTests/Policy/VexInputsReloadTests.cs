using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Signing;
using HarborBridge.Policy;
using HarborBridge.Scheduling;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Policy;

/// <summary>The policy's VEX, EPSS and KEV files as the service reads them: loaded with the policy, re-read when edited,
/// changes noticed for re-evaluation, and the statements used carried into the decision attestation.</summary>
public sealed class VexInputsReloadTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef App = new("team", "app", "sha256:" + new string('a', 64));
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hb-vex-" + Guid.NewGuid().ToString("N"));

    public VexInputsReloadTests()
    {
        Directory.CreateDirectory(_dir);
        File.Copy(ReportFixtures.PathOf("vex/alpine-39.openvex.json"), Path.Combine(_dir, "app.openvex.json"));
        File.Copy(ReportFixtures.PathOf("epss/epss_scores-2026-12-04.csv"), Path.Combine(_dir, "epss.csv"));
        File.Copy(ReportFixtures.PathOf("kev/known_exploited_vulnerabilities.json"), Path.Combine(_dir, "kev.json"));
        File.WriteAllText(PolicyFile, "version: 1\nkev: { file: kev.json }\nepss: { file: epss.csv }\ndefaults:\n  vex: [app.openvex.json]\n");
    }

    private string PolicyFile => Path.Combine(_dir, "policy.yaml");

    private string VexFile => Path.Combine(_dir, "app.openvex.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PolicyProvider Provider() => new(Options.Create(new PolicyOptions { File = PolicyFile }), NullLogger<PolicyProvider>.Instance);

    private static ScanReport Alpine39 => ReportReader.Read(ReportFixtures.Bytes("trivy/alpine-39.json.golden"));

    private void WithdrawNotAffected()
    {
        File.WriteAllText(VexFile, File.ReadAllText(VexFile).Replace("\"status\": \"not_affected\"", "\"status\": \"affected\"", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(VexFile, DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void Snapshot_LoadsEveryInputFileNamedByThePolicy()
    {
        var (policy, inputs) = Provider().Snapshot;

        Assert.Equal(["app.openvex.json"], policy.VexFiles);
        Assert.Equal(2, inputs.Vex!["app.openvex.json"].Statements.Count);
        Assert.Equal("2026-12-04", inputs.Epss!.DateText);
        Assert.Equal("2026.12.04", inputs.Kev!.Version);
    }

    [Fact]
    public void WithVexContents_VersionFollowsTheDocumentsContents_NotTheirTimeStamps()
    {
        var provider = Provider();
        var (policy, inputs) = provider.Snapshot;
        var before = policy.WithVexContents(inputs.Vex).PolicyVersion;

        // Without VEX documents the file's version stands; with them it differs, and it is stable while they are.
        Assert.Equal(policy.PolicyVersion, policy.WithVexContents(null).PolicyVersion);
        Assert.NotEqual(policy.PolicyVersion, before);
        File.SetLastWriteTimeUtc(VexFile, DateTime.UtcNow.AddMinutes(2)); // touched, not changed: read again, same contents
        var (touchedPolicy, touchedInputs) = provider.Snapshot;
        Assert.Equal(before, touchedPolicy.WithVexContents(touchedInputs.Vex).PolicyVersion);

        WithdrawNotAffected(); // a statement changed: a new version, with the file's version unchanged
        var (after, afterInputs) = provider.Snapshot;
        Assert.Equal(policy.PolicyVersion, after.PolicyVersion);
        Assert.NotEqual(before, after.WithVexContents(afterInputs.Vex).PolicyVersion);
    }

    [Fact]
    public void Snapshot_VexFileEdited_IsReadAgainAndTheVerdictFollows()
    {
        var provider = Provider();
        var (policy, inputs) = provider.Snapshot;
        var before = PolicyEvaluator.Evaluate(App, Alpine39, policy, Now, inputs);

        WithdrawNotAffected();
        var (policyAfter, inputsAfter) = provider.Snapshot;
        var after = PolicyEvaluator.Evaluate(App, Alpine39, policyAfter, Now, inputsAfter);

        Assert.Equal(Verdict.Pass, before.Verdict);
        Assert.Equal(Verdict.Block, after.Verdict);
    }

    [Fact]
    public void Snapshot_VexFileBrokenByAnEdit_KeepsThePreviousDocument()
    {
        var provider = Provider();
        var digest = provider.Snapshot.Inputs.Vex!["app.openvex.json"].Digest;

        File.WriteAllText(VexFile, "{ \"@context\": \"https://openvex.dev/ns/v0.2.0\", ");
        File.SetLastWriteTimeUtc(VexFile, DateTime.UtcNow.AddMinutes(1));

        Assert.Equal(digest, provider.Snapshot.Inputs.Vex!["app.openvex.json"].Digest);
    }

    [Fact]
    public void Tracker_ReportsAChangedDocumentOnceWithBothVersions_AndNothingOnTheFirstLook()
    {
        var provider = Provider();
        var tracker = new VexChangeTracker();

        var first = tracker.Observe(provider.Snapshot.Inputs.Vex!);
        var unchanged = tracker.Observe(provider.Snapshot.Inputs.Vex!);
        WithdrawNotAffected();
        var changed = tracker.Observe(provider.Snapshot.Inputs.Vex!);
        var again = tracker.Observe(provider.Snapshot.Inputs.Vex!);

        Assert.Empty(first);
        Assert.Empty(unchanged);
        var (before, after) = Assert.Single(changed);
        Assert.Equal("not_affected", before!.Statements[0].Status);
        Assert.Equal("affected", after!.Statements[0].Status);
        Assert.True(after.NamesImage(App));
        Assert.False(after.NamesImage(App with { Digest = "sha256:" + new string('b', 64) }));
        Assert.Empty(again);
    }

    [Fact]
    public void DecisionAttestation_RecordsTheVexStatementsTheStoredDecisionUsed()
    {
        var (policy, inputs) = Provider().Snapshot;
        var decision = PolicyEvaluator.Evaluate(App, Alpine39, policy, Now, inputs);
        var used = UsedVexStatements.FromDecisionJson(DecisionRenderer.ToJson(decision));

        var statements = RegistryArtifactSigner.Statements("harbor.example.com/team/app", App.Digest,
            new SigningDecision("dec-1", "pass", decision.PolicyVersion, decision.ReportDigest, Now, [], null, used));

        var predicate = statements.Single(s => s.PredicateType == HarborBridge.Signing.Dsse.Predicates.HarborBridgeDecisionV1).Predicate;
        var vex = Assert.Single(predicate["vexStatementsUsed"]!.AsArray())!;
        Assert.Equal("https://openvex.dev/docs/example/vex-harborbridge-alpine-39", vex["document"]!.GetValue<string>());
        Assert.Equal(0, vex["statement"]!.GetValue<int>());
        Assert.Equal("CVE-2019-14697", vex["vulnerability"]!.GetValue<string>());
        Assert.Equal("not_affected", vex["status"]!.GetValue<string>());
        Assert.Equal("vulnerable_code_not_in_execute_path", vex["justification"]!.GetValue<string>());
        Assert.Equal(inputs.Vex!["app.openvex.json"].Digest, vex["documentDigest"]!.GetValue<string>());
    }
}
