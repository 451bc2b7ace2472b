using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Harbor;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.Signing.Keys;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HarborBridge.IntegrationTests.Scheduling;

/// <summary>The Quartz jobs in the real <c>serve</c> host (RabbitMQ, PostgreSQL with the clustered job store) against
/// the Harbor simulator: reconciliation finds what a lost webhook never announced, and two instances on one database
/// run every firing once, and a CVE that appears in an approved image's report puts it AtRisk and gets it quarantined
/// once the (short, real) fix-by window has passed.</summary>
public sealed class ScheduledWorkTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const string EverySecond = "* * * * * ?";
    private readonly string _policyFile = Path.Combine(Path.GetTempPath(), $"hb-sched-policy-{Guid.NewGuid():N}.yaml");
    private readonly List<HarborBridgeFactory> _factories = [];
    private PostgresDatabase? _database;
    private string _policyText = "version: 1\nrescan:\n  fixWithin: { CRITICAL: 7d, HIGH: 30d }\n";
    private SimulatorSession? _session;

    /// <summary>Files written beside the policy before the host starts; <c>{project}</c> becomes the simulator's project.</summary>
    private readonly Dictionary<string, string> _policyInputs = [];

    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private async Task<Dictionary<string, string?>> SettingsAsync(params (string Key, string Value)[] overrides)
    {
        _session ??= await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry, ScanDelay = TimeSpan.FromMinutes(10) });
        await File.WriteAllTextAsync(_policyFile, _policyText);
        foreach (var (path, text) in _policyInputs)
        {
            await File.WriteAllTextAsync(path, text.Replace("{project}", _session.Project, StringComparison.Ordinal));
        }
        _database ??= await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, _policyFile);
        foreach (var job in new[] { "Rescan", "AtRiskDeadlines", "Reconcile", "ExceptionExpiry", "VexChanges" })
        {
            settings[$"HarborBridge:Schedules:{job}"] = ""; // off unless the test switches it on
        }

        settings["HarborBridge:Schedules:ClusterCheckinInterval"] = "00:00:02";
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    private async Task<HarborBridgeFactory> StartAsync(Dictionary<string, string?> settings)
    {
        var factory = new HarborBridgeFactory(settings);
        _factories.Add(factory);
        using var client = factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
        return factory;
    }

    /// <summary>A simulator that delivers webhooks to the first host, and that host signing with a fresh key.</summary>
    private async Task<HarborBridgeFactory> StartSigningPipelineAsync(params (string Key, string Value)[] overrides)
    {
        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            WebhookHandler = () => _factories[0].Server.CreateHandler(),
        });
        _session.Simulator.State.AddWebhookPolicy(_session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
        var keyFile = Path.Combine(_session.WorkDir, "service.key");
        using (var key = SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes("key-pw")));
        }

        return await StartAsync(await SettingsAsync([.. overrides, ("HarborBridge:Signing:KeyFile", keyFile), ("HarborBridge:Signing:KeyPassword", "key-pw")]));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var factory in _factories)
        {
            await factory.DisposeAsync();
        }

        if (_session is not null)
        {
            await _session.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        File.Delete(_policyFile);
        foreach (var path in _policyInputs.Keys)
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task LostPushWebhook_FoundByReconciliation()
    {
        var settings = await SettingsAsync(("HarborBridge:Schedules:Reconcile", "0/2 * * * * ?"));
        // Pushed while HarborBridge was not listening: Harbor has it, no webhook ever arrived.
        var digest = NewDigest();
        _session!.Simulator.State.AddScannedArtifact(_session.Project, "team/lost", digest, "v1", DateTimeOffset.UtcNow.AddMinutes(-5));

        var factory = await StartAsync(settings);

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await factory.Store.FindByDigestAsync(digest, default)).Count > 0, Patience),
            "reconciliation did not announce the artifact");
        var record = Assert.Single(await factory.Store.FindByDigestAsync(digest, default));
        Assert.Equal(new ArtifactRef(_session.Project, "team/lost", digest), record.Artifact);
        var pushed = Assert.Single(await factory.Store.GetEventsAsync(digest, default), e => e.EventType == "PUSH_ARTIFACT");
        Assert.StartsWith("reconcile:", pushed.EventId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LostPushOfARealImage_ReconcileLeadsToOneDecisionAndOneSignature()
    {
        // tests.md weak spot 7: follow the reconciled push to the end, not only to "recorded".
        var ct = TestServices.Timeout(240);
        var factory = await StartSigningPipelineAsync(("HarborBridge:Schedules:Reconcile", "0/2 * * * * ?"));

        // The push webhook is lost (Harbor gave up on it); later webhooks arrive again.
        _session!.Simulator.Faults.DropWebhooks = true;
        var image = await _session.PushImageAsync("lost", "v1", ct);
        _session.Simulator.Faults.DropWebhooks = false;
        var artifact = new ArtifactRef(_session.Project, "lost", image.ManifestDigest);

        Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.Approved, Patience),
            "the reconciled push was not decided");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await SignaturesAsync(artifact, ct) == 1, Patience),
            "the reconciled push was not signed");
        await Task.Delay(TimeSpan.FromSeconds(5)); // two more reconcile runs (every 2 s)

        var pushes = (await factory.Store.GetEventsAsync(artifact.Digest, default)).Where(e => e.EventType == "PUSH_ARTIFACT").ToList();
        Assert.Equal(["reconcile:"], pushes.Select(e => e.EventId[..10]));
        Assert.Equal(1, await SignaturesAsync(artifact, ct));
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM decisions WHERE digest = @d", new { d = artifact.Digest }));
    }

    [Fact]
    public async Task TwoInstancesOnOnePostgres_EachFiringRunsOnce()
    {
        var settings = await SettingsAsync(("HarborBridge:Schedules:Rescan", EverySecond), ("HarborBridge:Schedules:AtRiskDeadlines", "0/2 * * * * ?"));
        await StartAsync(settings);
        await StartAsync(settings);

        await Task.Delay(TimeSpan.FromSeconds(12));
        foreach (var factory in _factories)
        {
            await factory.DisposeAsync();
        }

        _factories.Clear();
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        var runs = (await connection.QueryAsync<(string Job, DateTime ScheduledAt, string Instance)>(
            "SELECT job_name, scheduled_at, instance FROM scheduled_job_runs")).ToList();
        var rescans = runs.Count(r => r.Job == "rescan");
        Assert.True(rescans >= 6, $"only {rescans} rescan runs in 12 s");
        Assert.Contains(runs, r => r.Job == "at-risk-deadlines");
        var duplicates = runs.GroupBy(r => (r.Job, r.ScheduledAt)).Where(g => g.Count() > 1).Select(g => $"{g.Key.Job}@{g.Key.ScheduledAt:O} x{g.Count()}").ToList();
        Assert.True(duplicates.Count == 0, "firings run more than once: " + string.Join(", ", duplicates));
    }

    [Fact]
    public async Task CveAddedToApprovedImage_AtRisk_ThenQuarantinedAtTheDeadline()
    {
        var ct = TestServices.Timeout(240);
        // Block on CRITICAL, fix within one minute (the smallest unit the policy accepts), quarantine by unsigning.
        _policyText = "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  quarantine: { strategies: [unsign] }\nrescan:\n  fixWithin: { CRITICAL: 1m }\n";
        var factory = await StartSigningPipelineAsync(("HarborBridge:Schedules:AtRiskDeadlines", "0/2 * * * * ?"));
        var bus = factory.Services.GetRequiredService<IBus>();
        var atRisk = new List<ArtifactAtRisk>();
        var blocked = new List<ArtifactBlocked>();
        var probe = bus.ConnectReceiveEndpoint("atrisk-probe-" + Guid.NewGuid().ToString("N")[..8], e =>
        {
            e.Handler<ArtifactAtRisk>(c => { lock (atRisk) { atRisk.Add(c.Message); } return Task.CompletedTask; });
            e.Handler<ArtifactBlocked>(c => { lock (blocked) { blocked.Add(c.Message); } return Task.CompletedTask; });
        });
        await probe.Ready;
        try
        {
            // A clean image (the simulator's default report has no findings): approved and signed by HarborBridge.
            var image = await _session!.PushImageAsync("web", "v1", ct);
            var artifact = new ArtifactRef(_session.Project, "web", image.ManifestDigest);
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.Approved, Patience),
                "the clean image was not approved");
            Assert.True(await TestEnvironment.EventuallyAsync(async () => (await SignaturesAsync(artifact, ct)) == 1, Patience),
                "the approved image was not signed");

            // Harbor's rescan finds new CVEs (2 CRITICAL among them, counted by hand in harbor-5-vuln.json).
            var report = JsonNode.Parse(await File.ReadAllTextAsync(TestEnvironment.FixturePath("quarantine", "harbor-5-vuln.json"), ct))!
                .AsObject()["application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"]!.DeepClone().AsObject();
            _session.Simulator.State.ReplaceReport(_session.Simulator.State.FindArtifact(artifact.Project, artifact.Repository, artifact.Digest)!, report);
            var rescanAt = DateTimeOffset.UtcNow;
            await bus.Publish(new ReevaluateArtifact("rescan-" + Guid.NewGuid().ToString("N"), artifact, "rescan", rescanAt), ct);

            Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.AtRisk, Patience),
                "the image did not go AtRisk after the rescan");
            Assert.True(await TestEnvironment.EventuallyAsync(() => { lock (atRisk) { return Task.FromResult(atRisk.Count > 0); } }, Patience),
                "no ArtifactAtRisk was published");
            ArtifactAtRisk risk;
            lock (atRisk)
            {
                risk = Assert.Single(atRisk);
            }

            Assert.Equal(artifact, risk.Artifact);
            // Fix by one minute after the rescan decision (a few seconds of slack for the bus).
            Assert.InRange(risk.FixBy, rescanAt.AddMinutes(1), rescanAt.AddMinutes(1).AddSeconds(30));
            Assert.Equal(1, await SignaturesAsync(artifact, ct)); // still signed while at risk
            lock (blocked)
            {
                Assert.Empty(blocked);
            }

            // After the deadline the deadline job blocks it, and the block is enforced in the registry.
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.Quarantined, TimeSpan.FromSeconds(150)),
                "the image was not quarantined after its fix-by deadline");
            Assert.True(DateTimeOffset.UtcNow >= risk.FixBy, "quarantined before the fix-by deadline");
            Assert.True(await TestEnvironment.EventuallyAsync(() => { lock (blocked) { return Task.FromResult(blocked.Count > 0); } }, Patience),
                "no ArtifactBlocked was published");
            lock (blocked)
            {
                Assert.Equal(artifact, Assert.Single(blocked).Artifact);
            }

            Assert.True(await TestEnvironment.EventuallyAsync(async () => (await SignaturesAsync(artifact, ct)) == 0, Patience),
                "HarborBridge's signature is still in the registry after the quarantine");
        }
        finally
        {
            await probe.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task RescanJob_EveryTwoSeconds_QueuesEligibleArtifactsNewestFirstInBatchesOnce()
    {
        // tests.md weak spot 2: the Quartz job itself, not a hand-published ReevaluateArtifact. Batch of 2, each artifact at
        // most once an hour; only Approved, Warned, AtRisk and Quarantined, not deleted.
        var settings = await SettingsAsync(("HarborBridge:Schedules:Rescan", "0/2 * * * * ?"),
            ("HarborBridge:Schedules:RescanBatchSize", "2"), ("HarborBridge:Schedules:RescanMinInterval", "01:00:00"));
        var factory = await StartAsync(settings);
        var queued = new List<ReevaluateArtifact>();
        var probe = factory.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint("rescan-probe-" + Guid.NewGuid().ToString("N")[..8], e =>
            e.Handler<ReevaluateArtifact>(c => { lock (queued) { queued.Add(c.Message); } return Task.CompletedTask; }));
        await probe.Ready;
        try
        {
            var now = DateTimeOffset.UtcNow;
            // name, state, pushed, rescan requested, deleted
            (string Name, string State, TimeSpan PushedAgo, TimeSpan? RequestedAgo, bool Deleted)[] seeds =
            [
                ("a-approved", ArtifactStates.Approved, TimeSpan.FromMinutes(1), null, false),
                ("b-warned", ArtifactStates.Warned, TimeSpan.FromMinutes(2), null, false),
                ("c-atrisk", ArtifactStates.AtRisk, TimeSpan.FromMinutes(3), null, false),
                ("d-quarantined", ArtifactStates.Quarantined, TimeSpan.FromMinutes(4), TimeSpan.FromHours(2), false), // asked long enough ago
                ("e-received", ArtifactStates.Received, TimeSpan.Zero, null, false),                                   // not decided
                ("f-recent", ArtifactStates.Approved, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), false),     // asked 10 min ago
                ("g-deleted", ArtifactStates.Approved, TimeSpan.FromSeconds(10), null, true),
            ];
            var digests = seeds.ToDictionary(x => x.Name, _ => NewDigest());
            await using (var connection = new NpgsqlConnection(_database!.ConnectionString))
            {
                await connection.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                foreach (var seed in seeds)
                {
                    // One transaction: every firing sees all of them or none.
                    await connection.ExecuteAsync("""
                        INSERT INTO artifacts (project, repository, digest, state, pushed_at, first_seen_at, updated_at, deleted_at, rescan_requested_at)
                        VALUES ('seed', @name, @digest, @state, @pushed, @pushed, @pushed, @deleted, @requested)
                        """, new
                    {
                        name = seed.Name, digest = digests[seed.Name], state = seed.State, pushed = now - seed.PushedAgo,
                        deleted = seed.Deleted ? now : (DateTimeOffset?)null, requested = now - seed.RequestedAgo,
                    }, transaction);
                }

                await transaction.CommitAsync();
            }

            Assert.True(await TestEnvironment.EventuallyAsync(() => { lock (queued) { return Task.FromResult(queued.Count(q => q.Artifact.Project == "seed") >= 4); } }, Patience),
                "the rescan job did not queue the four eligible artifacts");
            await Task.Delay(TimeSpan.FromSeconds(7)); // three more firings: nothing else may be queued

            List<ReevaluateArtifact> seen;
            lock (queued)
            {
                seen = queued.Where(q => q.Artifact.Project == "seed").ToList();
            }

            // Newest push first, two per firing, each once. The two of one firing are published together, so they may
            // arrive in either order; the firings come in order.
            Assert.Equal(4, seen.Count);
            var firings = seen.GroupBy(q => q.RequestId.Split(':')[1]).Select(g => g.Select(q => q.Artifact.Repository).Order(StringComparer.Ordinal).ToList()).ToList();
            Assert.Equal(2, firings.Count);
            Assert.Equal(["a-approved", "b-warned"], firings[0]);
            Assert.Equal(["c-atrisk", "d-quarantined"], firings[1]);
            Assert.All(seen, q => Assert.Equal("scheduled rescan", q.Cause));
            await using var check = new NpgsqlConnection(_database!.ConnectionString);
            var requested = (await check.QueryAsync<(string Repository, DateTime? RequestedAt)>(
                "SELECT repository, rescan_requested_at FROM artifacts WHERE project = 'seed'")).ToDictionary(r => r.Repository, r => r.RequestedAt);
            foreach (var name in new[] { "a-approved", "b-warned", "c-atrisk", "d-quarantined" })
            {
                Assert.True(requested[name] >= now.UtcDateTime.AddSeconds(-1), $"{name}: rescan_requested_at not moved to the firing ({requested[name]:O})");
            }

            Assert.Null(requested["e-received"]);
            Assert.Null(requested["g-deleted"]);
            Assert.True(requested["f-recent"] < now.UtcDateTime.AddMinutes(-9), "f-recent was queued again within its interval");
        }
        finally
        {
            await probe.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task RescanJob_NewlyFailingReport_ApprovedImageGoesAtRiskWithoutAnyHandPublishedMessage()
    {
        var ct = TestServices.Timeout(240);
        _policyText = "version: 1\ndefaults:\n  block: { severity: CRITICAL }\nrescan:\n  fixWithin: { CRITICAL: 7d }\n";
        var factory = await StartSigningPipelineAsync(("HarborBridge:Schedules:Rescan", "0/2 * * * * ?"), ("HarborBridge:Schedules:RescanMinInterval", "00:00:04"));
        var image = await _session!.PushImageAsync("web", "v1", ct);
        var artifact = new ArtifactRef(_session.Project, "web", image.ManifestDigest);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.Approved, Patience),
            "the clean image was not approved");
        await Task.Delay(TimeSpan.FromSeconds(5)); // rescans of the clean report change nothing
        Assert.Equal(ArtifactStates.Approved, await StateAsync(factory, artifact.Digest));

        // Harbor's report now has 2 CRITICAL findings (harbor-5-vuln.json, counted by hand); only the job can notice.
        var report = JsonNode.Parse(await File.ReadAllTextAsync(TestEnvironment.FixturePath("quarantine", "harbor-5-vuln.json"), ct))!
            .AsObject()["application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"]!.DeepClone().AsObject();
        _session.Simulator.State.ReplaceReport(_session.Simulator.State.FindArtifact(artifact.Project, artifact.Repository, artifact.Digest)!, report);

        Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.AtRisk, Patience),
            "the rescan job did not put the image at risk");
        var atRisk = (await factory.Services.GetRequiredService<IDecisionStore>().GetDecisionsAsync(artifact.Digest, default)).Last();
        Assert.Equal("Block", atRisk.Verdict);
        Assert.Equal("scheduled rescan", atRisk.Cause); // the cause RescanJob gives its ReevaluateArtifact
        Assert.Equal(1, await SignaturesAsync(artifact, ct)); // still signed while at risk
    }

    [Fact]
    public async Task VexStatementWithdrawn_WarnedImageIsBlockedAgainByTheVexChangesJob()
    {
        var ct = TestServices.Timeout(240);
        // OpenVEX v0.2.0: the two CRITICAL findings of harbor-5-vuln.json (CVE-YYYY-004, -005) are not_affected in every
        // image of {project}/web (an image product by repository; Harbor reports carry no package URLs, so no subcomponents).
        var vexFile = Path.ChangeExtension(_policyFile, ".openvex.json");
        const string Statement = """
            { "vulnerability": { "name": "{id}" }, "products": [ { "@id": "pkg:oci/web?repository_url=harbor.example.com/{project}/web" } ],
              "status": "not_affected", "justification": "vulnerable_code_not_present" }
            """;
        var document = """
            { "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/web-1", "author": "Team Web",
              "timestamp": "2026-12-05T10:00:00Z", "version": 1, "statements": [
            """ + Statement.Replace("{id}", "CVE-YYYY-004", StringComparison.Ordinal) + "," +
            Statement.Replace("{id}", "CVE-YYYY-005", StringComparison.Ordinal) + "] }";
        _policyInputs[vexFile] = document;
        _policyText = $"version: 1\ndefaults:\n  block: {{ severity: CRITICAL }}\n  vex: [{Path.GetFileName(vexFile)}]\nrescan:\n  fixWithin: {{ CRITICAL: 7d }}\n";
        var factory = await StartSigningPipelineAsync(("HarborBridge:Schedules:VexChanges", "0/2 * * * * ?"));
        var decisions = factory.Services.GetRequiredService<IDecisionStore>();
        var image = await _session!.PushImageAsync("web", "v1", ct);
        var artifact = new ArtifactRef(_session.Project, "web", image.ManifestDigest);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.Approved, Patience),
            "the clean image was not approved");

        // Harbor's report gains 2 CRITICAL and 2 HIGH findings; with the VEX statements only the HIGH ones count, which
        // leaves an approved image as it is (a rescan moves it only when it blocks).
        var report = JsonNode.Parse(await File.ReadAllTextAsync(TestEnvironment.FixturePath("quarantine", "harbor-5-vuln.json"), ct))!
            .AsObject()["application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"]!.DeepClone().AsObject();
        _session.Simulator.State.ReplaceReport(_session.Simulator.State.FindArtifact(artifact.Project, artifact.Repository, artifact.Digest)!, report);
        await factory.Services.GetRequiredService<IBus>().Publish(new ReevaluateArtifact("rescan-" + Guid.NewGuid().ToString("N"), artifact, "rescan", DateTimeOffset.UtcNow), ct);
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        Assert.Equal(ArtifactStates.Approved, await StateAsync(factory, artifact.Digest));

        // The author withdraws the statements (now "affected"); only the vex-changes job can notice.
        await File.WriteAllTextAsync(vexFile, document.Replace("not_affected", "affected", StringComparison.Ordinal)
            .Replace("{project}", _session.Project, StringComparison.Ordinal).Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal), ct);

        Assert.True(await TestEnvironment.EventuallyAsync(async () => await StateAsync(factory, artifact.Digest) == ArtifactStates.AtRisk, Patience),
            "the image was not put at risk after the VEX statements were withdrawn");
        var blocked = (await decisions.GetDecisionsAsync(artifact.Digest, ct)).Last();
        Assert.Equal("Block", blocked.Verdict);
        Assert.StartsWith($"VEX document {vexFile} changed", blocked.Cause, StringComparison.Ordinal);
    }

    private static async Task<string?> StateAsync(HarborBridgeFactory factory, string digest) =>
        (await factory.Store.FindByDigestAsync(digest, default)).SingleOrDefault()?.State;

    private async Task<int> SignaturesAsync(ArtifactRef artifact, CancellationToken ct) =>
        (await _session!.Harbor.ListAccessoriesAsync(artifact.Project, artifact.Repository, artifact.Digest, ct)).Count(a => a.Type == "signature.cosign");
}
