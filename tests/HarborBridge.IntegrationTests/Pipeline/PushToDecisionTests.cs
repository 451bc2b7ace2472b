using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>
/// End to end over the Harbor simulator (in front of the real docker-registry), real RabbitMQ and real PostgreSQL:
/// an image pushed through the simulator fires PUSH_ARTIFACT, HarborBridge asks for a scan, the simulator scans
/// and fires SCANNING_COMPLETED/FAILED, and HarborBridge stores a decision with its reasons.
/// </summary>
public sealed class PushToDecisionTests : IAsyncLifetime
{
    private const string AdminToken = "pipeline-admin-token-0123456789abcdef";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // Severity counts read from the fixtures by hand (see tests/fixtures/policy/harbor):
    //   harbor-5-vuln.json                      2 Critical, 2 High, 1 Negligible  -> block (CRITICAL)
    //   vulnerabilities_addition.response.json   1 High, 1 Low                     -> warn (HIGH)
    //   harbor-0-vuln.json                       no findings                        -> pass
    private static readonly string Reports = Path.Combine(AppContext.BaseDirectory, "fixtures", "policy", "harbor");

    private readonly string _policyDirectory = Path.Combine(Path.GetTempPath(), "hb-policy-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase _database = null!;
    private SimulatorSession _session = null!;
    private HarborBridgeFactory? _factory;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_policyDirectory);
        var policyFile = Path.Combine(_policyDirectory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, """
            version: 1
            defaults:
              block: { severity: CRITICAL }
              warn:  { severity: HIGH }
            projects:
              - match: { project: "*", repository: "failing-quarantine" }
                onScanFailure: quarantine
            """);

        var project = "pipe" + Guid.NewGuid().ToString("N")[..8];
        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            Reports =
            {
                [$"{project}/clean"] = Path.Combine(Reports, "harbor-0-vuln.json"),
                [$"{project}/critical"] = Path.Combine(Reports, "harbor-5-vuln.json"),
                [$"{project}/high"] = Path.Combine(Reports, "vulnerabilities_addition.response.json"),
                [$"{project}/multi-critical"] = Path.Combine(Reports, "harbor-5-vuln.json"),
            },
            FailingScans = { $"{project}/failing-hold", $"{project}/failing-quarantine" },
            ScanDelay = TimeSpan.FromMilliseconds(300),
            WebhookHandler = () => _factory!.Server.CreateHandler(),
        }, project: project);
        _session.Simulator.State.AddWebhookPolicy(_session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");

        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        settings["HarborBridge:Admin:Token"] = AdminToken;
        _factory = new HarborBridgeFactory(settings);
        _client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(_client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _session.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_policyDirectory, recursive: true);
    }

    private IDecisionStore Decisions => _factory!.Services.GetRequiredService<IDecisionStore>();

    private async Task<DecisionRecord> PushAndWaitForDecisionAsync(string repository, string tag = "v1")
    {
        var image = await _session.PushImageAsync(repository, tag, TestServices.Timeout(120));
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience),
            $"no decision for {repository} within {Patience}");
        await Task.Delay(500); // a duplicate decision, if any, would land now
        return Assert.Single(await Decisions.GetDecisionsAsync(image.ManifestDigest, default));
    }

    private async Task<JsonElement> ArtifactAsync(string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/artifacts/{digest}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await _client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Push_CleanImage_Approved()
    {
        var decision = await PushAndWaitForDecisionAsync("clean");

        Assert.Equal("Pass", decision.Verdict);
        Assert.Empty(decision.Findings);
        var artifact = await ArtifactAsync(decision.Artifact.Digest);
        Assert.Equal(ArtifactStates.Approved, artifact.GetProperty("artifacts")[0].GetProperty("state").GetString());
        Assert.Equal(["Scanning", "Approved"], artifact.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("toState").GetString()));
    }

    [Fact]
    public async Task Redelivery_ScanCompletedTwice_OneDecisionSameDecisionId()
    {
        var decision = await PushAndWaitForDecisionAsync("critical");
        var scanEvent = (await _factory!.Store.GetEventsAsync(decision.Artifact.Digest, default)).Single(e => e.EventType == "SCANNING_COMPLETED");
        var harness = new List<Contracts.ArtifactBlocked>();
        var bus = _factory.Services.GetRequiredService<MassTransit.IBus>();
        var handle = bus.ConnectReceiveEndpoint("redelivery-probe-" + Guid.NewGuid().ToString("N")[..8], e =>
            e.Handler<Contracts.ArtifactBlocked>(c => { lock (harness) { harness.Add(c.Message); } return Task.CompletedTask; }));
        await handle.Ready;

        await bus.Publish(new Contracts.ScanCompleted(scanEvent.EventId, decision.Artifact, scanEvent.Tag, scanEvent.Operator, scanEvent.OccurredAt, null));

        Assert.True(await TestEnvironment.EventuallyAsync(() => { lock (harness) { return Task.FromResult(harness.Count > 0); } }, Patience));
        await handle.StopAsync();
        Assert.Equal(decision.DecisionId, harness[0].DecisionId);
        Assert.Single(await Decisions.GetDecisionsAsync(decision.Artifact.Digest, default));
    }

    [Fact]
    public async Task Push_ImageWithCriticals_BlockedWithTheCriticalFindings()
    {
        var decision = await PushAndWaitForDecisionAsync("critical");

        Assert.Equal("Block", decision.Verdict);
        Assert.True(decision.Enforced);
        var blocking = decision.Findings.Where(f => f.Outcome == "Block").ToList();
        Assert.Equal(2, blocking.Count);
        Assert.All(blocking, f => Assert.Equal("CRITICAL", f.Severity));
        Assert.Equal(2, decision.Findings.Count(f => f.Outcome == "Warn"));
        Assert.StartsWith("sha256:", decision.ReportDigest, StringComparison.Ordinal);
        Assert.StartsWith("sha256:", decision.PolicyVersion, StringComparison.Ordinal);
        var artifact = await ArtifactAsync(decision.Artifact.Digest);
        Assert.Equal(ArtifactStates.Quarantined, artifact.GetProperty("artifacts")[0].GetProperty("state").GetString());
        var stored = artifact.GetProperty("decisions")[0];
        Assert.Equal("Block", stored.GetProperty("verdict").GetString());
        Assert.Contains("CRITICAL", stored.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_ImageTaggedLikeTheReferrersFallbackTag_ScannedAndBlockedLikeAnyOther()
    {
        // Audit #3: a tag shaped like the OCI referrers fallback tag (sha256-<64 hex>, no cosign suffix) must not let an
        // image skip the checkpoint; only its manifest (an index of Sigstore referrers) would make it an accessory.
        var decision = await PushAndWaitForDecisionAsync("critical", "sha256-" + new string('e', 64));

        Assert.Equal("Block", decision.Verdict);
        var artifact = await ArtifactAsync(decision.Artifact.Digest);
        Assert.Equal(ArtifactStates.Quarantined, artifact.GetProperty("artifacts")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Push_ImageWithHighOnly_WarnedNamingTheFinding()
    {
        var decision = await PushAndWaitForDecisionAsync("high");

        Assert.Equal("Warn", decision.Verdict);
        var warning = Assert.Single(decision.Findings);
        Assert.Equal("HIGH", warning.Severity);
        Assert.False(string.IsNullOrEmpty(warning.Package));
        Assert.False(string.IsNullOrEmpty(warning.FixedVersion)); // the fixture's High finding has a fix
        var artifact = await ArtifactAsync(decision.Artifact.Digest);
        Assert.Equal(ArtifactStates.Warned, artifact.GetProperty("artifacts")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Push_MultiArchIndex_DecidedFromAllItsPlatformManifests()
    {
        var index = OciLayoutImage.CreateIndex(Path.Combine(_session.WorkDir, "index-" + Guid.NewGuid().ToString("N")[..6]));
        await index.PushAsync($"{_session.Simulator.RegistryHost}/{_session.Project}/multi-critical:1", _session.WorkDir, TestServices.Timeout(120));

        // Each platform manifest gets its own decision; the index is decided once both are in.
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await Decisions.GetDecisionsAsync(index.ManifestDigest, default)).Any(d => d.Cause.Contains("2 platform manifests", StringComparison.Ordinal)), Patience));
        foreach (var child in index.Children)
        {
            Assert.Contains(await Decisions.GetDecisionsAsync(child, default), d => d.Verdict == "Block");
        }

        var decision = (await Decisions.GetDecisionsAsync(index.ManifestDigest, default)).Last();
        Assert.Equal("Block", decision.Verdict);
        Assert.All(index.Children, child => Assert.Contains(child, decision.DecisionJson, StringComparison.Ordinal));
        Assert.Equal(2, decision.Findings.Count(f => f.Outcome == "Block")); // same report on both platforms: findings deduplicated
        var state = (await _factory!.Store.FindByDigestAsync(index.ManifestDigest, default)).Single().State;
        Assert.Equal(ArtifactStates.Quarantined, state);
    }

    [Fact]
    public async Task Push_ScanFailsWithQuarantinePolicy_Blocked()
    {
        var decision = await PushAndWaitForDecisionAsync("failing-quarantine");

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains("no scan report", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("scan error", decision.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_ScanFailsWithDefaultHold_HeldWithoutDecision()
    {
        var image = await _session.PushImageAsync("failing-hold", "v1", TestServices.Timeout(120));

        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await _factory!.Store.FindByDigestAsync(image.ManifestDigest, default)).SingleOrDefault()?.State == ArtifactStates.ScanFailed, Patience));
        Assert.Empty(await Decisions.GetDecisionsAsync(image.ManifestDigest, default));
        var transitions = await Decisions.GetTransitionsAsync(image.ManifestDigest, default);
        Assert.Contains(transitions, t => t.ToState == ArtifactStates.ScanFailed && t.Cause.Contains("hold", StringComparison.Ordinal));
    }

    // ---- what Harbor sends besides a scan of a push (the simulator follows Harbor here: HarborFidelityTests) ----------

    private HttpClient SimulatorApi()
    {
        var http = new HttpClient { BaseAddress = _session.Simulator.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{SimulatorSession.User}:{SimulatorSession.Password}")));
        return http;
    }

    [Fact]
    public async Task ScanAll_CompletionWithoutOverview_DecidedFromTheReportFetched()
    {
        // The push webhook is lost and nothing scans the image until Harbor's scan-all: its SCANNING_COMPLETED has
        // "scan": {} and no scan_overview, so the two CRITICAL findings can only come from the report HarborBridge fetches.
        _session.Simulator.Faults.DropWebhooks = true;
        var image = await _session.PushImageAsync("critical", "v1", TestServices.Timeout(120));
        Assert.NotNull(await _session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "PUSH_ARTIFACT" && d.Dropped, Patience, default));
        _session.Simulator.Faults.DropWebhooks = false;
        using var api = SimulatorApi();

        using var started = await api.PostAsync("/api/v2.0/system/scanAll/schedule",
            new StringContent("""{"schedule":{"type":"Manual"}}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Created, started.StatusCode);
        var delivered = await _session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED" && d.Body.Contains(image.ManifestDigest, StringComparison.Ordinal), Patience, default);
        Assert.NotNull(delivered);
        Assert.Equal(202, delivered.StatusCode);
        Assert.DoesNotContain("scan_overview", delivered.Body, StringComparison.Ordinal);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience),
            "the scan-all completion was not decided");
        var decision = Assert.Single(await Decisions.GetDecisionsAsync(image.ManifestDigest, default));
        Assert.Equal("Block", decision.Verdict);
        Assert.Equal(["CRITICAL", "CRITICAL"], decision.Findings.Where(f => f.Outcome == "Block").Select(f => f.Severity));
        Assert.Contains(await _factory!.Store.GetEventsAsync(image.ManifestDigest, default),
            e => e.EventType == "SCANNING_COMPLETED" && e.Details == "no scan overview (scan-all)");
    }

    [Fact]
    public async Task SbomGeneration_RecordedInTheHistoryAndNotDecided()
    {
        var decision = await PushAndWaitForDecisionAsync("clean");
        var digest = decision.Artifact.Digest;
        using var api = SimulatorApi();

        using var started = await api.PostAsync($"/api/v2.0/projects/{_session.Project}/repositories/clean/artifacts/{digest}/scan",
            new StringContent("""{"scan_type":"sbom"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
        var delivered = await _session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED" && d.Body.Contains("sbom_overview", StringComparison.Ordinal), Patience, default);
        Assert.NotNull(delivered);
        Assert.Equal(202, delivered.StatusCode); // taken in, not "ignored"
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _factory!.Store.GetEventsAsync(digest, default))
            .Any(e => e.EventType == "SCANNING_COMPLETED" && e.Details?.Contains("SBOM", StringComparison.Ordinal) == true), Patience),
            "the SBOM event was not recorded in the artifact's history");
        await Task.Delay(TimeSpan.FromSeconds(2)); // a decision, if the event were taken for a scan, would land now
        Assert.Equal(decision.DecisionId, Assert.Single(await Decisions.GetDecisionsAsync(digest, default)).DecisionId);
        Assert.Equal(ArtifactStates.Approved, (await _factory!.Store.FindByDigestAsync(digest, default)).Single().State);
    }

    [Fact]
    public async Task UntaggedPush_EventsWithoutATagMatchedByDigest()
    {
        // Pushed by digest: Harbor's PUSH_ARTIFACT repeats the digest as "tag", its scan events have no tag at all.
        var ct = TestServices.Timeout(120);
        var image = OciLayoutImage.Create(Path.Combine(_session.WorkDir, Guid.NewGuid().ToString("N")));
        var repository = _session.Repository("clean");
        foreach (var blob in new[] { image.ConfigDigest, image.LayerDigest })
        {
            await _session.Registry.PushBlobAsync(repository, await File.ReadAllBytesAsync(Path.Combine(image.Directory, "blobs", "sha256", blob["sha256:".Length..]), ct), null, ct);
        }

        await _session.Registry.PutManifestAsync(repository, image.ManifestDigest, image.Manifest, "application/vnd.oci.image.manifest.v1+json", null, ct);

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience),
            "the untagged artifact was not decided");
        var scanEvent = await _session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED" && d.Body.Contains(image.ManifestDigest, StringComparison.Ordinal), Patience, ct);
        using (var body = JsonDocument.Parse(scanEvent!.Body))
        {
            Assert.False(body.RootElement.GetProperty("event_data").GetProperty("resources")[0].TryGetProperty("tag", out _));
        }

        Assert.Equal("Pass", Assert.Single(await Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Verdict);
        var record = Assert.Single(await _factory!.Store.FindByDigestAsync(image.ManifestDigest, default));
        Assert.Equal(new Contracts.ArtifactRef(_session.Project, "clean", image.ManifestDigest), record.Artifact);
        Assert.Equal(ArtifactStates.Approved, record.State);
        Assert.All((await _factory.Store.GetEventsAsync(image.ManifestDigest, default)).Where(e => e.EventType is "PUSH_ARTIFACT" or "SCANNING_COMPLETED"),
            e => Assert.Null(e.Tag));
    }
}
