using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Policy;

/// <summary>
/// The policy impact preview against the real pipeline (Harbor simulator in front of docker-registry, RabbitMQ, PostgreSQL):
/// mixed artifacts are pushed, scanned and decided; a stricter policy is previewed, then written as the policy file and every
/// artifact re-evaluated through the normal path (<see cref="ReevaluateArtifact"/>, what the rescan job publishes). The
/// artifacts the pipeline then quarantines must be exactly those the preview listed as newly blocked.
/// </summary>
public sealed class PolicyPreviewPipelineTests : IAsyncDisposable
{
    private const string AdminToken = "preview-admin-token-0123456789abcdef-XYZ";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // In force: CRITICAL blocks, HIGH warns. The quarantine only labels (no Harbor project changes to undo).
    private const string InForce = "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  warn: { severity: HIGH }\n  quarantine: { strategies: [label] }\n";

    // Stricter: HIGH blocks and unfixed findings stop counting; at-risk artifacts have no time to fix (quarantined at once).
    private const string Stricter = "version: 1\ndefaults:\n  block: { severity: HIGH }\n  warn: { severity: MEDIUM }\n  ignoreUnfixed: true\n" +
        "  quarantine: { strategies: [label] }\nrescan:\n  fixWithin: { CRITICAL: 0m, HIGH: 0m, default: 0m }\n";

    private readonly PipelineHost _host = new("prev");
    private Observed<OperatorAlertRaised> _alerts = null!;

    /// <summary>Reports derived from the Harbor fixture harbor-5-vuln.json (CVE-YYYY-001 Negligible fixed, -002 High unfixed,
    /// -003 High fixed, -004 and -005 Critical fixed), keeping the vulnerabilities named. What each becomes, by hand:
    /// in force → stricter.</summary>
    private static readonly (string Repository, string[] Keep, string Now, string Then)[] Mixed =
    [
        ("clean", [], ArtifactStates.Approved, "unchanged"),
        ("low", ["CVE-YYYY-001"], ArtifactStates.Approved, "unchanged"),                       // Negligible = LOW < MEDIUM
        ("high-fixed", ["CVE-YYYY-003"], ArtifactStates.Warned, "blocked"),                      // HIGH fixed >= HIGH
        ("high-unfixed", ["CVE-YYYY-002"], ArtifactStates.Warned, "cleared"),                    // unfixed: ignored (state stays Warned)
        ("mixed-high", ["CVE-YYYY-001", "CVE-YYYY-002", "CVE-YYYY-003"], ArtifactStates.Warned, "blocked"), // -003 fixed HIGH
        ("critical", ["CVE-YYYY-004", "CVE-YYYY-005"], ArtifactStates.Quarantined, "unchanged"), // still blocks
    ];

    private async Task StartAsync(int maxNewlyBlocked)
    {
        var reports = new Dictionary<string, string>(StringComparer.Ordinal);
        var source = JsonNode.Parse(await File.ReadAllTextAsync(TestEnvironment.FixturePath("policy", "harbor", "harbor-5-vuln.json")))!.AsObject();
        foreach (var (repository, keep, _, _) in Mixed)
        {
            var report = source.DeepClone().AsObject();
            var body = report.First().Value!.AsObject();
            var kept = new JsonArray(body["vulnerabilities"]!.AsArray().Where(v => keep.Contains(v!["id"]!.GetValue<string>())).Select(v => v!.DeepClone()).ToArray());
            body["vulnerabilities"] = kept;
            var file = _host.PathOf(repository + ".json");
            await File.WriteAllTextAsync(file, report.ToJsonString());
            reports[repository] = file;
        }

        await _host.StartAsync(new PipelineHostOptions
        {
            Policy = InForce,
            Reports = reports,
            ScanDelay = TimeSpan.FromMilliseconds(200),
            ScheduledJobs = false,
            AdminToken = AdminToken,
            Settings = { ["HarborBridge:Policy:MaxNewlyBlocked"] = maxNewlyBlocked.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Patience = Patience,
        });
        _alerts = await _host.ObserveAsync<OperatorAlertRaised>();
    }

    /// <summary>Pushes every image of <see cref="Mixed"/> and waits until each is decided as the policy in force says.</summary>
    private async Task<Dictionary<string, ArtifactRef>> SeedAsync()
    {
        var artifacts = new Dictionary<string, ArtifactRef>(StringComparer.Ordinal);
        foreach (var (repository, _, _, _) in Mixed)
        {
            var image = await _host.Session.PushImageAsync(repository, "v1", TestServices.Timeout(120));
            artifacts[repository] = new ArtifactRef(_host.Session.Project, repository, image.ManifestDigest);
        }

        foreach (var (repository, _, now, _) in Mixed)
        {
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.StateAsync(artifacts[repository]) == now, Patience),
                $"{repository} did not reach {now} (is {await _host.StateAsync(artifacts[repository])})");
        }

        // The quarantine of "critical" is applied (label) before anything else happens.
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _host.Decisions
            .GetTransitionsAsync(artifacts["critical"].Digest, default)).Any(t => t.Cause.StartsWith("quarantine applied", StringComparison.Ordinal)), Patience));
        return artifacts;
    }

    private async Task<HttpResponseMessage> PostPolicyAsync(string path, string yaml)
    {
        using var client = _host.AdminClient();
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        return await client.PostAsync(path, content);
    }

    private async Task<PolicyImpact> PreviewAsync(string yaml)
    {
        using var response = await PostPolicyAsync("/api/v1/policy/preview", yaml);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return PolicyImpactRenderer.FromJson(body)!;
    }

    /// <summary>Writes the policy file with a time stamp the provider cannot mistake for the previous one.</summary>
    private async Task WritePolicyAsync(string yaml)
    {
        await File.WriteAllTextAsync(_host.PolicyFile, yaml);
        File.SetLastWriteTimeUtc(_host.PolicyFile, DateTime.UtcNow.AddSeconds(5));
    }

    /// <summary>Re-evaluates every artifact as the rescan job does: one <see cref="ReevaluateArtifact"/> each.</summary>
    private async Task ReevaluateAllAsync(IEnumerable<ArtifactRef> artifacts, string round)
    {
        var bus = _host.Factory.Services.GetRequiredService<IBus>();
        foreach (var a in artifacts)
        {
            await bus.Publish(new ReevaluateArtifact($"preview-test:{round}:{a}", a, "policy changed", DateTimeOffset.UtcNow));
        }
    }

    /// <summary>The policy version <c>/readyz</c> names as in force (reading it brings a changed file into force, as any reader does).</summary>
    private async Task<string?> PolicyVersionInForceAsync()
    {
        using var client = _host.Factory.CreateClient();
        using var response = await client.GetAsync("/readyz");
        using var ready = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ready.RootElement.GetProperty("checks").GetProperty("policy").GetProperty("data").GetProperty("version").GetString();
    }

    private async Task<Dictionary<string, string?>> StatesAsync(Dictionary<string, ArtifactRef> artifacts)
    {
        var states = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (repository, a) in artifacts)
        {
            states[repository] = await _host.StateAsync(a);
        }

        return states;
    }

    [Fact]
    public async Task Preview_StricterPolicy_ListsExactlyWhatThePipelineThenQuarantines()
    {
        await StartAsync(maxNewlyBlocked: 25);
        var artifacts = await SeedAsync();
        var before = await StatesAsync(artifacts);

        var impact = await PreviewAsync(Stricter);

        // The preview against the hand-worked table.
        var expectedBlocked = Mixed.Where(m => m.Then == "blocked").Select(m => artifacts[m.Repository]).OrderBy(a => a.ToString()).ToList();
        var previewBlocked = impact.Changes.Where(c => c.Change == PreviewChange.Blocked).Select(c => c.Artifact).OrderBy(a => a.ToString()).ToList();
        Assert.Equal(expectedBlocked, previewBlocked);
        Assert.Equal([artifacts["high-unfixed"]], impact.Changes.Where(c => c.Change == PreviewChange.Cleared).Select(c => c.Artifact));
        Assert.Equal(Mixed.Count(m => m.Then == "unchanged"), impact.Count(PreviewChange.Unchanged));
        Assert.Equal(Mixed.Length, impact.Judged);
        Assert.Equal(before, await StatesAsync(artifacts)); // the preview changed nothing

        var inForce = await PolicyVersionInForceAsync();
        await WritePolicyAsync(Stricter);
        // The policy in force goes on deciding while the reload guard weighs a change (3466084): a re-evaluation that races
        // the reload keeps its verdict until the next. So re-evaluate, as the rescan job's next run would, once it is in force.
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await PolicyVersionInForceAsync() != inForce, Patience),
            "the stricter policy did not come into force");
        await ReevaluateAllAsync(artifacts.Values, "apply");

        // Every artifact the pipeline quarantines now, and no other, is one the preview listed.
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            previewBlocked.All(a => _host.StateAsync(a).GetAwaiter().GetResult() == ArtifactStates.Quarantined), Patience),
            $"not every previewed artifact was quarantined: {JsonSerializer.Serialize(await StatesAsync(artifacts))}");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a late, unexpected quarantine would land now
        var after = await StatesAsync(artifacts);
        var newlyQuarantined = artifacts.Where(p => after[p.Key] == ArtifactStates.Quarantined && before[p.Key] != ArtifactStates.Quarantined)
            .Select(p => p.Value).OrderBy(a => a.ToString()).ToList();
        Assert.Equal(previewBlocked, newlyQuarantined);
    }

    [Fact]
    public async Task ReloadGuard_ImpactAboveTheLimit_HeldUntilAcceptedThenApplied()
    {
        await StartAsync(maxNewlyBlocked: 1); // the stricter policy newly blocks 2
        var artifacts = await SeedAsync();
        var before = await StatesAsync(artifacts);

        await WritePolicyAsync(Stricter);
        await ReevaluateAllAsync(artifacts.Values, "held");

        // Refused: readiness names the held change, an operator alert is raised, and nothing moves.
        using var client = _host.Factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "policy", "Degraded", Patience), "/readyz does not show the held policy");
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(_alerts.Snapshot().Any(a => a.Source == "policy")), Patience),
            "no operator alert for the held policy");
        Assert.Contains("newly block 2", Assert.Single(_alerts.Snapshot(), a => a.Source == "policy").Summary, StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(before, await StatesAsync(artifacts));

        // An acceptance for fewer than the real impact is refused and stores nothing.
        using (var tooFew = await PostPolicyAsync("/api/v1/policy/accept?acceptImpact=1", Stricter))
        {
            Assert.Equal(HttpStatusCode.Conflict, tooFew.StatusCode);
        }

        await ReevaluateAllAsync(artifacts.Values, "still-held");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(before, await StatesAsync(artifacts));

        using (var accepted = await PostPolicyAsync("/api/v1/policy/accept?acceptImpact=2", Stricter))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.True(await Readiness.WaitForCheckAsync(client, "policy", "Healthy", Patience), "the accepted policy did not come into force");
        await ReevaluateAllAsync(artifacts.Values, "accepted");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.StateAsync(artifacts["high-fixed"]) == ArtifactStates.Quarantined
            && await _host.StateAsync(artifacts["mixed-high"]) == ArtifactStates.Quarantined, Patience),
            $"the accepted policy was not applied: {JsonSerializer.Serialize(await StatesAsync(artifacts))}");
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
