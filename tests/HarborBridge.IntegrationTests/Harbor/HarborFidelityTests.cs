using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>
/// One test per row of docs/harbor.md "Harbor behaviour → source line → simulator → test": the simulator's answer
/// against what the cited Harbor code does. Paths and lines refer to Harbor's Go source in
/// shared/reference/harbor/source/ (goharbor/harbor at c50c7ddd6ea4e335a480b49c618281882ab7eec9); every expected value
/// is worked out here from those lines (message texts are Harbor's format strings filled in by hand), not taken from the
/// simulator.
/// </summary>
public sealed class HarborFidelityTests
{
    private const string Cve = "CVE-2024-0001";

    /// <summary>vulnerable.go:99-100, 118-119, 129-131 with projectSeverity "Critical" and the counts below.</summary>
    private const string CriticalPolicy = "'Prevent images with vulnerability severity of \"Critical\" or higher from running.' ";

    private static HarborSimulatorOptions Options(TimeSpan? scanDelay = null, bool auth = false) => new()
    {
        RegistryAddress = TestServices.Registry,
        ScanDelay = scanDelay ?? TimeSpan.FromMilliseconds(50),
        RequireRegistryAuth = auth,
    };

    /// <summary>Pushes a unique image and gives it a finished scan with these findings.</summary>
    private static async Task<OciLayoutImage> PushScannedAsync(SimulatorSession session, string repository, CancellationToken ct, params (string Id, string Severity)[] findings)
    {
        var image = await session.PushImageAsync(repository, "1", ct);
        var state = session.Simulator.State;
        state.ReplaceReport(state.FindArtifact(session.Project, repository, image.ManifestDigest)!, new JsonObject
        {
            ["vulnerabilities"] = new JsonArray(findings.Select(f => (JsonNode)new JsonObject { ["id"] = f.Id, ["package"] = "openssl", ["version"] = "1", ["severity"] = f.Severity }).ToArray()),
        });
        return image;
    }

    private static SimProject Project(SimulatorSession session) => session.Simulator.State.Projects[session.Project];

    private static void SetMetadata(SimulatorSession session, params (string Key, string? Value)[] values)
    {
        lock (session.Simulator.State.Sync)
        {
            foreach (var (key, value) in values)
            {
                if (value is null)
                {
                    Project(session).Metadata.Remove(key);
                }
                else
                {
                    Project(session).Metadata[key] = value;
                }
            }
        }
    }

    private static Task<(int Status, string? Message)> PullAsync(SimulatorSession session, string repository, string reference, CancellationToken ct,
        string? userAgent = null, string scope = "pull") =>
        HarborPullClient.PullAsync(session.Simulator.Url, session.Project, repository, reference, ct, userAgent: userAgent, scope: scope);

    private static HttpClient AdminApi(SimulatorSession session)
    {
        var http = new HttpClient { BaseAddress = session.Simulator.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{SimulatorSession.User}:{SimulatorSession.Password}")));
        return http;
    }

    [Fact]
    public async Task EffectiveAllowlist_ProjectWithoutTheKey_TheSystemListDecides()
    {
        // project.go:125-131 (a missing reuse_sys_cve_allowlist means true), controller.go:306-323 (true: the system list,
        // otherwise the project's), vulnerable.go:53 and 80 (the pull check uses that list).
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(), new Dictionary<string, string> { ["prevent_vul"] = "true", ["severity"] = "critical" });
        var image = await PushScannedAsync(session, "api", ct, (Cve, "Critical"));
        lock (session.Simulator.State.Sync)
        {
            Project(session).AllowlistCves = [Cve]; // excepted in the project's own list only
        }

        Assert.Equal(412, (await PullAsync(session, "api", image.ManifestDigest, ct)).Status);     // key absent: the (empty) system list
        session.Simulator.State.SystemAllowlistCves = [Cve];
        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct)).Status);     // now the system list excepts it
        SetMetadata(session, ("reuse_sys_cve_allowlist", "TRUE"));                                 // isTrue lower-cases (project.go:278-287)
        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct)).Status);
        SetMetadata(session, ("reuse_sys_cve_allowlist", "false"));
        session.Simulator.State.SystemAllowlistCves = [];
        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct)).Status);     // "false": the project's list
        lock (session.Simulator.State.Sync)
        {
            Project(session).AllowlistCves = [];
        }

        Assert.Equal(412, (await PullAsync(session, "api", image.ManifestDigest, ct)).Status);
    }

    [Fact]
    public async Task AllowlistExpiry_FromTheSecondItNames_TheWholeListIsIgnored()
    {
        // cve_allowlist.go:52-57: no expiry never expires, otherwise expired when now >= expires_at; base_controller.go:829:
        // an expired list bypasses nothing.
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        Assert.False(HarborPullCheck.IsExpired(null, now));
        Assert.False(HarborPullCheck.IsExpired(1_800_000_001, now));
        Assert.True(HarborPullCheck.IsExpired(1_800_000_000, now));
        Assert.True(HarborPullCheck.IsExpired(0, now));

        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(),
            new Dictionary<string, string> { ["prevent_vul"] = "true", ["severity"] = "critical", ["reuse_sys_cve_allowlist"] = "false" });
        var image = await PushScannedAsync(session, "api", ct, (Cve, "Critical"));
        lock (session.Simulator.State.Sync)
        {
            Project(session).AllowlistCves = [Cve];
            Project(session).AllowlistExpiresAt = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        }

        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct)).Status);
        lock (session.Simulator.State.Sync)
        {
            Project(session).AllowlistExpiresAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        }

        var expired = await PullAsync(session, "api", image.ManifestDigest, ct);
        Assert.Equal(412, expired.Status);
        Assert.Equal($"current image with 1 vulnerability cannot be pulled due to configured policy in {CriticalPolicy}"
            + "To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.", expired.Message);
    }

    [Fact]
    public async Task SeverityUnset_IsUnknown_AnyFindingBlocks()
    {
        // project.go:134-140 (no severity key: ""), severity.go:76-89 ("" parses as Unknown, code 0), vulnerable.go:124
        // (any finding's code is >= 0); the message names "Unknown".
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(), new Dictionary<string, string> { ["prevent_vul"] = "true" });
        var low = await PushScannedAsync(session, "low", ct, (Cve, "Low"));
        var clean = await PushScannedAsync(session, "clean", ct);

        var refused = await PullAsync(session, "low", low.ManifestDigest, ct);

        Assert.Equal(412, refused.Status);
        Assert.Equal("current image with 1 vulnerability cannot be pulled due to configured policy in "
            + "'Prevent images with vulnerability severity of \"Unknown\" or higher from running.' "
            + "To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.", refused.Message);
        Assert.Equal(200, (await PullAsync(session, "clean", clean.ManifestDigest, ct)).Status);
        Assert.Equal("None", HarborPullCheck.ParseSeverityVersion3("negligible")); // severity.go:85-86
        Assert.Equal("High", HarborPullCheck.ParseSeverityVersion3("HIGH"));
    }

    [Fact]
    public async Task IndexPull_NoReport412_WithReportsNotJudged()
    {
        // base_controller.go:626-633 (an index whose children have no report has none), vulnerable.go:85-101 (no report and
        // scannable: 412), vulnerable.go:107-115 (an index of images with reports is not judged, whatever they hold).
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(), new Dictionary<string, string> { ["prevent_vul"] = "true", ["severity"] = "critical" });
        var index = OciLayoutImage.CreateIndex(Path.Combine(session.WorkDir, "index"));
        await index.PushAsync($"{session.Simulator.RegistryHost}/{session.Project}/multi:1", session.WorkDir, ct);

        var unscanned = await PullAsync(session, "multi", index.ManifestDigest, ct);
        Assert.Equal(412, unscanned.Status);
        Assert.Equal($"current image without vulnerability scanning cannot be pulled due to configured policy in {CriticalPolicy}"
            + "To continue with pull, please contact your project administrator for help.", unscanned.Message);

        var state = session.Simulator.State;
        foreach (var child in index.Children)
        {
            state.ReplaceReport(state.FindArtifact(session.Project, "multi", child)!, new JsonObject
            {
                ["vulnerabilities"] = new JsonArray(new JsonObject { ["id"] = Cve, ["severity"] = "Critical" }),
            });
        }

        Assert.Equal(200, (await PullAsync(session, "multi", index.ManifestDigest, ct)).Status);
        Assert.Equal(412, (await PullAsync(session, "multi", index.Children[0], ct)).Status); // the platform manifest itself is judged
    }

    [Fact]
    public async Task SkipPolicyChecking_PushTokenAndCosignAgentOrASignaturePull_Pass_OthersAre412()
    {
        // util.go:68-76: a v2token that may push, with "cosign" or "notation" in the User-Agent (strings.Contains:
        // case-sensitive); util.go:78-84: the pulled artifact is itself a signature; contentrust.go:47-53 otherwise.
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(auth: true), new Dictionary<string, string> { ["enable_content_trust_cosign"] = "true" });
        var image = await session.PushImageAsync("api", "1", ct);
        const string Cosign = "cosign/v2.4.1 (linux; amd64) go-containerregistry/v0.20.2";

        var plain = await PullAsync(session, "api", image.ManifestDigest, ct);
        Assert.Equal((412, "The image is not signed by cosign."), plain);
        Assert.Equal(412, (await PullAsync(session, "api", image.ManifestDigest, ct, userAgent: Cosign)).Status);                        // pull-only token
        Assert.Equal(412, (await PullAsync(session, "api", image.ManifestDigest, ct, scope: "pull,push")).Status);                       // docker agent
        Assert.Equal(412, (await PullAsync(session, "api", image.ManifestDigest, ct, userAgent: "Cosign/2.4", scope: "pull,push")).Status); // case
        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct, userAgent: Cosign, scope: "pull,push")).Status);
        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct, userAgent: "notation-go/1.2.0", scope: "pull,push")).Status);
        // util.go:69: a token that may scanner-pull (Harbor's per-scan robot) passes whatever its User-Agent.
        Assert.Equal(200, (await PullAsync(session, "api", image.ManifestDigest, ct, scope: "pull,scanner-pull")).Status);

        // A tag-mode signature of another image is a cosign accessory: pulling it passes; a plain artifact (an attestation
        // tag, which Harbor does not record as an accessory) does not.
        var other = await session.PushImageAsync("other", "1", ct);
        var signatureTag = other.ManifestDigest.Replace(':', '-') + ".sig";
        var attestationTag = other.ManifestDigest.Replace(':', '-') + ".att";
        await PushSignatureManifestAsync(session, "other", signatureTag, "application/vnd.dev.cosign.simplesigning.v1+json", ct);
        await PushSignatureManifestAsync(session, "other", attestationTag, "application/vnd.dsse.envelope.v1+json", ct);
        Assert.Equal(200, (await PullAsync(session, "other", signatureTag, ct)).Status);
        Assert.Equal(412, (await PullAsync(session, "other", attestationTag, ct)).Status);
    }

    [Fact]
    public async Task AccessoryRecognition_SigTagWithSimpleSigningLayer_BundleReferrer_RepushKeepsTheOld()
    {
        // cosign.go:43-45 and 115-166: tag sha256-<hex>.sig and a simple-signing layer make a cosign signature accessory;
        // a v0.3 bundle referrer is one too (Harbor v2.15+, shared/reference/harbor/README.md); the old signature of a
        // re-pushed tag stays an accessory (nothing in cosign.go removes it).
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options());
        var image = await session.PushImageAsync("api", "1", ct);
        var tag = image.ManifestDigest.Replace(':', '-') + ".sig";

        await PushSignatureManifestAsync(session, "api", tag, "application/vnd.dev.cosign.simplesigning.v1+json", ct);
        var first = Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "api", image.ManifestDigest, ct));
        await PushSignatureManifestAsync(session, "api", tag, "application/vnd.dev.cosign.simplesigning.v1+json", ct);
        var both = await session.Harbor.ListAccessoriesAsync(session.Project, "api", image.ManifestDigest, ct);

        Assert.Equal("signature.cosign", first.Type);
        Assert.Equal(2, both.Count);
        Assert.Contains(both, a => a.Digest == first.Digest);

        var unsigned = await session.PushImageAsync("plain", "1", ct);
        await PushSignatureManifestAsync(session, "plain", unsigned.ManifestDigest.Replace(':', '-') + ".sig", "application/vnd.oci.image.layer.v1.tar", ct);
        Assert.Empty(await session.Harbor.ListAccessoriesAsync(session.Project, "plain", unsigned.ManifestDigest, ct));

        var bundled = await session.PushImageAsync("bundled", "1", ct);
        await PushSignatureManifestAsync(session, "bundled", null, "application/vnd.dev.sigstore.bundle.v0.3+json", ct,
            subject: bundled, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json");
        Assert.Equal("signature.cosign", Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "bundled", bundled.ManifestDigest, ct)).Type);
    }

    [Fact]
    public async Task PolicyViolationTexts_AsHarborFormatsThem()
    {
        // vulnerable.go:118-119 (the status in double quotes), 125-131 ("vulnerabilities" from two on), contentrust.go:50.
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(scanDelay: TimeSpan.FromMinutes(10)),
            new Dictionary<string, string> { ["prevent_vul"] = "true", ["severity"] = "critical" });
        var two = await PushScannedAsync(session, "two", ct, (Cve, "Critical"), ("CVE-2024-0002", "Low"));
        var running = await session.PushImageAsync("running", "1", ct);
        await session.Harbor.StartScanAsync(session.Project, "running", running.ManifestDigest, ct);

        Assert.Equal((412, $"current image with 2 vulnerabilities cannot be pulled due to configured policy in {CriticalPolicy}"
            + "To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist."),
            await PullAsync(session, "two", two.ManifestDigest, ct));
        Assert.Equal((412, $"current image with \"Running\" status of vulnerability scanning cannot be pulled due to configured policy in {CriticalPolicy}"
            + "To continue with pull, please contact your project administrator for help."),
            await PullAsync(session, "running", running.ManifestDigest, ct));
        SetMetadata(session, ("prevent_vul", null), ("enable_content_trust", "true"));
        Assert.Equal((412, "The image is not signed by notation."), await PullAsync(session, "two", two.ManifestDigest, ct)); // contentrust.go:58
    }

    [Fact]
    public async Task ScanEvent_UntaggedArtifact_HasNoTagAndADigestUrl()
    {
        // scan.go:115-120 (no tag: the reference is the digest) and 162-165 (tag = the artifact's tag, left out when empty).
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options());
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/hook", null, "Default", "SCANNING_COMPLETED");
        var image = await session.PushImageAsync("api", "1", ct);
        await session.Harbor.DeleteTagAsync(session.Project, "api", image.ManifestDigest, "1", ct);

        await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct);

        var resource = await ScanEventResourceAsync(session, ct);
        Assert.False(resource.ContainsKey("tag"));
        Assert.Equal($"{session.Simulator.RegistryHost}/{session.Project}/api@{image.ManifestDigest}", resource["resource_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task ScanEvent_StartTime_GoRfc3339NanoOfAMicrosecondTime()
    {
        // The summary's start_time/end_time are time.Time read from PostgreSQL (microseconds), marshalled as RFC3339Nano:
        // trailing zeros dropped, no dot when nothing is left (notes/harbor.md:172; reconstructed sbom sample).
        var at = new DateTimeOffset(2026, 8, 20, 9, 40, 0, TimeSpan.Zero);
        Assert.Equal("2026-08-20T09:40:00.104512Z", HarborTime.Rfc3339Nano(at.AddTicks(1_045_123))); // 0.1045123 s: 100 ns dropped
        Assert.Equal("2026-08-20T09:40:00.1Z", HarborTime.Rfc3339Nano(at.AddMilliseconds(100)));
        Assert.Equal("2026-08-20T09:40:00Z", HarborTime.Rfc3339Nano(at));

        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options());
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/hook", null, "Default", "SCANNING_COMPLETED");
        var image = await session.PushImageAsync("api", "1", ct);
        await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct);
        var overview = (await ScanEventResourceAsync(session, ct))["scan_overview"]!.AsObject().Single().Value!;

        var scan = session.Simulator.State.FindArtifact(session.Project, "api", image.ManifestDigest)!.Scan!;
        // Checked without the simulator's formatter: Go's shape (at most 6 fraction digits, no trailing zero) and the
        // scan's start to the microsecond.
        var start = overview["start_time"]!.GetValue<string>();
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$", start);
        var micros = scan.StartedAt.UtcTicks - scan.StartedAt.UtcTicks % 10;
        Assert.Equal(micros, DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture).UtcTicks);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$", overview["end_time"]!.GetValue<string>());
    }

    [Fact]
    public async Task ScanAll_CompletedEventHasAnEmptyScanAndNoOverview()
    {
        // scan.go:108-110 and 145-151: the scan type is empty for scan-all and scheduled scans, so "scan": {} and no
        // summary (goharbor/harbor#22212, notes/harbor.md:182-185); the operator is who started it, or harbor-jobservice.
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options());
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/hook", null, "Default", "SCANNING_COMPLETED");
        await session.PushImageAsync("api", "1", ct);
        using var api = AdminApi(session);

        using var started = await api.PostAsync("/api/v2.0/system/scanAll/schedule",
            new StringContent("""{"schedule":{"type":"Manual"}}""", Encoding.UTF8, "application/json"), ct);

        Assert.Equal(201, (int)started.StatusCode);
        var manual = await ScanEventAsync(session, d => true, ct);
        Assert.Equal("admin", manual["operator"]!.GetValue<string>());
        Assert.Equal("{}", manual["event_data"]!["scan"]!.ToJsonString());
        Assert.False(manual["event_data"]!["resources"]![0]!.AsObject().ContainsKey("scan_overview"));

        Assert.Equal(1, session.Simulator.RunScheduledScanAll());
        var scheduled = await ScanEventAsync(session, d => d.Body.Contains("harbor-jobservice", StringComparison.Ordinal), ct);
        Assert.Equal("{}", scheduled["event_data"]!["scan"]!.ToJsonString());
    }

    [Fact]
    public async Task SbomScan_CompletedEventHasTheSbomOverviewOnly()
    {
        // scan.go:153-168: an SBOM event has sbom_overview and no scan_overview; its keys as the reconstructed sample.
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options());
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/hook", null, "Default", "SCANNING_COMPLETED");
        var image = await session.PushImageAsync("team/api", "1", ct);
        using var api = AdminApi(session);

        using var started = await api.PostAsync($"/api/v2.0/projects/{session.Project}/repositories/team%252Fapi/artifacts/{image.ManifestDigest}/scan",
            new StringContent("""{"scan_type":"sbom"}""", Encoding.UTF8, "application/json"), ct);

        Assert.Equal(202, (int)started.StatusCode);
        var body = await ScanEventAsync(session, d => true, ct);
        Assert.Equal("sbom", body["event_data"]!["scan"]!["scan_type"]!.GetValue<string>());
        var resource = body["event_data"]!["resources"]![0]!.AsObject();
        Assert.Equal(["digest", "tag", "resource_url", "sbom_overview"], resource.Select(p => p.Key));
        Assert.Equal(["duration", "end_time", "report_id", "sbom_digest", "sbom_repository", "scan_status", "scanner", "start_time"],
            resource["sbom_overview"]!.AsObject().Select(p => p.Key));
        Assert.Equal($"{session.Project}/team/api", resource["sbom_overview"]!["sbom_repository"]!.GetValue<string>());
        var sbom = Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "team/api", image.ManifestDigest, ct));
        Assert.Equal("sbom.harbor", sbom.Type);
        Assert.Equal(sbom.Digest, resource["sbom_overview"]!["sbom_digest"]!.GetValue<string>());
    }

    [Fact]
    public async Task WebhookDelivery_ThreeAttemptsWithHarborsBackoff()
    {
        // webhook_job.go:38-50 (3 attempts in all), http_helper.go:44-45 (3 s per attempt), and gocraft/work's back-off
        // fails⁴ + 15 + rand(0..29)·(fails+1) s (notes/harbor.md:240-242): 16–74 s, then 31–118 s.
        Assert.Equal((16, 74), (WebhookBackoff(1, 0), WebhookBackoff(1, 29)));
        Assert.Equal((31, 118), (WebhookBackoff(2, 0), WebhookBackoff(2, 29)));
        var defaults = new HarborSimulatorOptions { RegistryAddress = "unused" };
        Assert.Equal(3, defaults.WebhookAttempts);
        Assert.Equal(TimeSpan.FromSeconds(3), defaults.WebhookTimeout);

        const double Scale = 0.05; // 0.8–3.7 s, then 1.55–5.9 s
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry, HarborBackoffScale = Scale });
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/refused", null, "Default", "PUSH_ARTIFACT");

        await session.PushImageAsync("api", "1", ct);

        Assert.NotNull(await session.Simulator.State.WaitForDeliveryAsync(d => d.Attempt == 3, TimeSpan.FromSeconds(30), ct));
        await Task.Delay(TimeSpan.FromSeconds(7), ct); // longer than any fourth pause could be
        var attempts = session.Simulator.State.Deliveries.OrderBy(d => d.Attempt).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(d => d.Attempt));
        var firstPause = (attempts[1].At!.Value - attempts[0].At!.Value).TotalSeconds;
        var secondPause = (attempts[2].At!.Value - attempts[1].At!.Value).TotalSeconds;
        Assert.InRange(firstPause, 16 * Scale, (74 * Scale) + 1);
        Assert.InRange(secondPause, 31 * Scale, (118 * Scale) + 1);
    }

    private static long WebhookBackoff(int fails, int random) => HarborJobService.WebhookBackoffSeconds(fails, random);

    private static async Task<JsonObject> ScanEventAsync(SimulatorSession session, Func<WebhookDelivery, bool> match, CancellationToken ct)
    {
        var delivery = await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED" && match(d), TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(delivery);
        return JsonNode.Parse(delivery.Body)!.AsObject();
    }

    private static async Task<JsonObject> ScanEventResourceAsync(SimulatorSession session, CancellationToken ct) =>
        (await ScanEventAsync(session, _ => true, ct))["event_data"]!["resources"]![0]!.AsObject();

    /// <summary>Pushes a one-layer manifest under <paramref name="tag"/> (or by digest with a subject).</summary>
    private static async Task PushSignatureManifestAsync(SimulatorSession session, string repository, string? tag, string layerType, CancellationToken ct,
        OciLayoutImage? subject = null, string? artifactType = null)
    {
        var target = session.Repository(repository);
        var layer = Encoding.UTF8.GetBytes($"{{\"payload\":\"{Guid.NewGuid()}\"}}");
        var config = "{}"u8.ToArray();
        await session.Registry.PushBlobAsync(target, layer, null, ct);
        await session.Registry.PushBlobAsync(target, config, null, ct);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.ImageManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = OciLayoutImage.Sha256(config), ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = layerType, ["digest"] = OciLayoutImage.Sha256(layer), ["size"] = layer.Length }),
        };
        if (artifactType is not null)
        {
            manifest["artifactType"] = artifactType;
        }

        if (subject is not null)
        {
            manifest["subject"] = new JsonObject { ["mediaType"] = OciMediaTypes.ImageManifest, ["digest"] = subject.ManifestDigest, ["size"] = subject.Manifest.Length };
        }

        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        await session.Registry.PutManifestAsync(target, tag ?? OciLayoutImage.Sha256(bytes), bytes, OciMediaTypes.ImageManifest, null, ct);
    }
}
