using System.Text.Json;
using HarborBridge.Core.Artifacts;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>The simulator behaves like Harbor towards HarborBridge: pushes fire webhooks that the real webhook
/// endpoint accepts, scans report back, and pull policies answer with Harbor's 412 bodies.</summary>
public sealed class HarborSimulatorTests
{
    private static string ApiExample(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "harbor", "api-examples", name);

    private static HarborSimulatorOptions Options(HarborBridgeHost? host = null, string? report = null) => new()
    {
        RegistryAddress = TestServices.Registry,
        WebhookHandler = host is null ? null : () => host.Server.CreateHandler(),
        DefaultReportFile = report,
        ScanDelay = TimeSpan.FromMilliseconds(100),
    };

    [Theory]
    [InlineData("Default")]
    [InlineData("CloudEvents")]
    public async Task Push_ThroughSimulator_FiresWebhookThatHarborBridgeQueuesAndRecords(string format)
    {
        var ct = TestServices.Timeout(90);
        using var host = new HarborBridgeHost();
        _ = host.Server;
        await using var session = await SimulatorSession.StartAsync(Options(host));
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://localhost/webhooks/harbor", HarborBridgeHost.AuthHeader, format, "PUSH_ARTIFACT");

        var image = await session.PushImageAsync("team/api", "1.0", ct);

        var delivery = await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "PUSH_ARTIFACT", TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(delivery);
        Assert.Equal(202, delivery.StatusCode);
        Assert.Equal(HarborBridgeHost.AuthHeader, delivery.Authorization);
        using var body = JsonDocument.Parse(delivery.Body);
        var data = format == "CloudEvents" ? body.RootElement.GetProperty("data") : body.RootElement.GetProperty("event_data");
        Assert.Equal(format == "CloudEvents" ? "harbor.artifact.pushed" : "PUSH_ARTIFACT", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("team/api", data.GetProperty("repository").GetProperty("name").GetString());
        Assert.Equal(session.Project, data.GetProperty("repository").GetProperty("namespace").GetString());
        Assert.Equal(image.ManifestDigest, data.GetProperty("resources")[0].GetProperty("digest").GetString());

        var store = host.Services.GetRequiredService<IArtifactStore>();
        IReadOnlyList<ArtifactRecord> records = [];
        for (var i = 0; i < 100 && records.Count == 0; i++)
        {
            records = await store.FindByDigestAsync(image.ManifestDigest, ct);
            if (records.Count == 0)
            {
                await Task.Delay(100, ct);
            }
        }

        var record = Assert.Single(records);
        Assert.Equal(session.Project, record.Artifact.Project);
        Assert.Equal("team/api", record.Artifact.Repository);
    }

    [Fact]
    public async Task Push_PolicyWithWrongAuthHeader_IsRefusedAndRetriedThreeTimes()
    {
        var ct = TestServices.Timeout(90);
        using var host = new HarborBridgeHost();
        _ = host.Server;
        await using var session = await SimulatorSession.StartAsync(Options(host));
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://localhost/webhooks/harbor", "Bearer wrong", "Default", "PUSH_ARTIFACT");

        await session.PushImageAsync("api", "1", ct);

        var third = await session.Simulator.State.WaitForDeliveryAsync(d => d.Attempt == 3, TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(third);
        Assert.All(session.Simulator.State.Deliveries, d => Assert.Equal(401, d.StatusCode));
        Assert.Equal(3, session.Simulator.State.Deliveries.Count);
    }

    [Fact]
    public async Task SignaturePush_IsRecordedAsAccessoryAndFiresPushThatHarborBridgeIgnores()
    {
        var ct = TestServices.Timeout(90);
        using var host = new HarborBridgeHost();
        _ = host.Server;
        await using var session = await SimulatorSession.StartAsync(Options(host));
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://localhost/webhooks/harbor", HarborBridgeHost.AuthHeader, "Default", "PUSH_ARTIFACT");
        var image = await session.PushImageAsync("api", "1", ct);

        var signature = await PushCosignStyleSignatureAsync(session, "api", image.ManifestDigest, ct);

        var accessory = Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "api", image.ManifestDigest, ct));
        Assert.Equal("signature.cosign", accessory.Type);
        Assert.Equal(signature, accessory.Digest);
        var delivery = await session.Simulator.State.WaitForDeliveryAsync(
            d => d.EventType == "PUSH_ARTIFACT" && d.Body.Contains(".sig", StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(delivery);
        Assert.Equal(200, delivery.StatusCode);
    }

    [Fact]
    public async Task Scan_FiresCompletedWebhookWithTheSummary()
    {
        var ct = TestServices.Timeout(90);
        using var host = new HarborBridgeHost();
        _ = host.Server;
        await using var session = await SimulatorSession.StartAsync(Options(host, ApiExample("vulnerabilities_addition.response.json")));
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://localhost/webhooks/harbor", HarborBridgeHost.AuthHeader, "Default", "PULL_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED");
        var image = await session.PushImageAsync("api", "1", ct);

        await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct);

        // The scanner robot's pull comes first; HarborBridge answers it 200 "ignored" (no loop).
        var pull = await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "PULL_ARTIFACT", TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(pull);
        Assert.Equal(200, pull.StatusCode);

        var delivery = await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED", TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(delivery);
        Assert.Equal(202, delivery.StatusCode);
        using var body = JsonDocument.Parse(delivery.Body);
        var overview = body.RootElement.GetProperty("event_data").GetProperty("resources")[0].GetProperty("scan_overview")
            .GetProperty("application/vnd.security.vulnerability.report; version=1.1");
        Assert.Equal("Success", overview.GetProperty("scan_status").GetString());
        Assert.Equal("High", overview.GetProperty("severity").GetString());
        Assert.Equal(2, overview.GetProperty("summary").GetProperty("total").GetInt32());
        Assert.Equal("vulnerability", body.RootElement.GetProperty("event_data").GetProperty("scan").GetProperty("scan_type").GetString());
    }

    [Fact]
    public async Task Scan_MultiArchIndex_FiresOneScanEventPerPlatformManifest()
    {
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options());
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/hook", null, "Default", "SCANNING_COMPLETED");
        var index = OciLayoutImage.CreateIndex(Path.Combine(session.WorkDir, "index"));
        await index.PushAsync($"{session.Simulator.RegistryHost}/{session.Project}/multi:1", session.WorkDir, ct);

        Assert.Equal(Core.Harbor.ScanStartResult.Started, await session.Harbor.StartScanAsync(session.Project, "multi", index.ManifestDigest, ct));

        foreach (var child in index.Children)
        {
            Assert.NotNull(await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED" && d.Body.Contains(child, StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct));
        }

        var digests = session.Simulator.State.Deliveries.Where(d => d.EventType == "SCANNING_COMPLETED")
            .Select(d => JsonDocument.Parse(d.Body).RootElement.GetProperty("event_data").GetProperty("resources")[0].GetProperty("digest").GetString()!)
            .Distinct().Order().ToList();
        Assert.Equal(index.Children.Order().ToList(), digests);
    }

    [Fact]
    public async Task Scan_ConfiguredToFail_FiresScanningFailed()
    {
        var ct = TestServices.Timeout(90);
        var options = new HarborSimulatorOptions { RegistryAddress = TestServices.Registry, ScanDelay = TimeSpan.Zero };
        await using var session = await SimulatorSession.StartAsync(options);
        options.FailingScans.Add($"{session.Project}/api");
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/unreachable", null, "Default", "SCANNING_FAILED");
        var image = await session.PushImageAsync("api", "1", ct);

        await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct);

        var delivery = await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType.StartsWith("SCANNING_", StringComparison.Ordinal), TimeSpan.FromSeconds(20), ct);
        Assert.NotNull(delivery);
        Assert.Equal("SCANNING_FAILED", delivery.EventType);
        using var body = JsonDocument.Parse(delivery.Body);
        var overview = body.RootElement.GetProperty("event_data").GetProperty("resources")[0].GetProperty("scan_overview")
            .GetProperty("application/vnd.security.vulnerability.report; version=1.1");
        Assert.Equal("Error", overview.GetProperty("scan_status").GetString());
        Assert.Equal("", overview.GetProperty("severity").GetString());
        Assert.Equal(JsonValueKind.Null, overview.GetProperty("summary").ValueKind);
        Assert.Equal("Error", (await HarborClientSimulatorTests.WaitForScanAsync(session, "api", image.ManifestDigest, ct)).ScanStatus);
    }

    [Fact]
    public async Task Pull_PreventVulnerableAndHighFinding_GetsHarbors412()
    {
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync(Options(report: ApiExample("vulnerabilities_addition.response.json")));
        var image = await session.PushImageAsync("api", "1", ct);
        await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct);
        await HarborClientSimulatorTests.WaitForScanAsync(session, "api", image.ManifestDigest, ct);
        await session.Harbor.SetProjectMetadataAsync(session.Project, "prevent_vul", "true", ct);
        await session.Harbor.SetProjectMetadataAsync(session.Project, "severity", "high", ct);

        // A client as a cluster node is (a pull token, no cosign agent): HarborBridge's own client would pass (docs/harbor.md).
        var (status, message) = await HarborPullClient.PullAsync(session.Simulator.Url, session.Project, "api", "1", ct);

        Assert.Equal(412, status);
        Assert.Equal(
            "current image with 2 vulnerabilities cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of \"High\" or higher from running.' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.",
            message);
        var (exit, output) = await TestServices.SkopeoAsync(session.WorkDir, ct, "inspect", "--tls-verify=false", $"--creds={SimulatorSession.User}:{SimulatorSession.Password}",
            $"docker://{session.Simulator.RegistryHost}/{session.Project}/api:1");
        Assert.NotEqual(0, exit);
        Assert.Contains("cannot be pulled due to configured policy", output);

        // Allowlisting the High finding leaves only Low, below the threshold: the pull goes through. Harbor reads the
        // project's own list only with reuse_sys_cve_allowlist "false" (HarborFidelityTests has the rule itself).
        await session.Harbor.UpdateProjectAsync(session.Project, new Core.Harbor.HarborProjectUpdate(
            new Dictionary<string, string> { ["reuse_sys_cve_allowlist"] = "false" }, new Core.Harbor.HarborCveAllowlist(0, null, ["CVE-2013-7445"])), ct);
        Assert.Equal(200, (await HarborPullClient.PullAsync(session.Simulator.Url, session.Project, "api", "1", ct)).Status);
    }

    [Fact]
    public async Task Pull_CosignEnforcedAndUnsigned_Gets412UntilASignatureIsPushed()
    {
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("api", "1", ct);
        await session.Harbor.SetProjectMetadataAsync(session.Project, "enable_content_trust_cosign", "true", ct);

        var unsigned = await HarborPullClient.PullAsync(session.Simulator.Url, session.Project, "api", image.ManifestDigest, ct);
        await PushCosignStyleSignatureAsync(session, "api", image.ManifestDigest, ct);

        Assert.Equal((412, "The image is not signed by cosign."), unsigned);
        Assert.Equal(200, (await HarborPullClient.PullAsync(session.Simulator.Url, session.Project, "api", image.ManifestDigest, ct)).Status);
    }

    [Fact]
    public async Task Pull_CosignEnforced_SignatureDeletedThroughRegistry_IsBlockedAgain()
    {
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("api", "1", ct);
        await session.Harbor.SetProjectMetadataAsync(session.Project, "enable_content_trust_cosign", "true", ct);
        var signature = await PushCosignStyleSignatureAsync(session, "api", image.ManifestDigest, ct);
        Assert.Equal(200, (await HarborPullClient.PullAsync(session.Simulator.Url, session.Project, "api", image.ManifestDigest, ct)).Status);

        Assert.True(await session.Registry.DeleteManifestAsync(session.Repository("api"), signature, ct));

        Assert.Empty(await session.Harbor.ListAccessoriesAsync(session.Project, "api", image.ManifestDigest, ct));
        Assert.Equal((412, "The image is not signed by cosign."), await HarborPullClient.PullAsync(session.Simulator.Url, session.Project, "api", image.ManifestDigest, ct));
    }

    [Fact]
    public async Task Faults_DropWebhooks_RecordsDropsAndSendsNothing()
    {
        var ct = TestServices.Timeout(90);
        await using var session = await SimulatorSession.StartAsync();
        session.Simulator.Faults.DropWebhooks = true;
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/hook", null, "Default", "PUSH_ARTIFACT");

        await session.PushImageAsync("api", "1", ct);

        var delivery = await session.Simulator.State.WaitForDeliveryAsync(_ => true, TimeSpan.FromSeconds(10), ct);
        Assert.NotNull(delivery);
        Assert.True(delivery.Dropped);
        Assert.Null(delivery.StatusCode);
    }

    /// <summary>Pushes a cosign tag-mode signature manifest (<c>sha256-&lt;hex&gt;.sig</c>, simple-signing layer).</summary>
    private static async Task<string> PushCosignStyleSignatureAsync(SimulatorSession session, string repository, string digest, CancellationToken ct)
    {
        var target = session.Repository(repository);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new
        {
            critical = new { identity = new { dockerReference = target.ToString() }, image = new { dockerManifestDigest = digest }, type = "cosign container image signature" },
            optional = (object?)null,
        });
        var config = "{}"u8.ToArray();
        await session.Registry.PushBlobAsync(target, payload, null, ct);
        await session.Registry.PushBlobAsync(target, config, null, ct);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciMediaTypes.ImageManifest,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = OciLayoutImage.Sha256(config), size = config.Length },
            layers = new[]
            {
                new
                {
                    mediaType = "application/vnd.dev.cosign.simplesigning.v1+json",
                    digest = OciLayoutImage.Sha256(payload),
                    size = payload.Length,
                    annotations = new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = "MEUCIQ-test-not-a-real-signature" },
                },
            },
        });
        var tag = digest.Replace(':', '-') + ".sig";
        return (await session.Registry.PutManifestAsync(target, tag, manifest, OciMediaTypes.ImageManifest, null, ct)).Digest;
    }
}
