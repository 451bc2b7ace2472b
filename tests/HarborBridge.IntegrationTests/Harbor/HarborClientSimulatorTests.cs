using System.Text.Json;
using HarborBridge.Core.Harbor;
using HarborBridge.HarborSimulator;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>HarborClient against the simulator, with images pushed by skopeo into the real docker-registry.</summary>
public sealed class HarborClientSimulatorTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "harbor", "api-examples", name);

    [Fact]
    public async Task GetArtifact_PushedWithSkopeoIntoNestedRepository_HasTheDigestAndTag()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("team/api", "1.0", ct);

        var artifact = await session.Harbor.GetArtifactAsync(session.Project, "team/api", "1.0", ct);

        Assert.NotNull(artifact);
        Assert.Equal(image.ManifestDigest, artifact.Digest);
        Assert.Equal(["1.0"], artifact.Tags);
        Assert.Empty(artifact.ScanOverviews);
        Assert.Equal(image.ManifestDigest, (await session.Harbor.GetArtifactAsync(session.Project, "team/api", image.ManifestDigest, ct))!.Digest);
    }

    [Fact]
    public async Task Scan_WithReportFixture_OverviewAndReportCarryTheFindings()
    {
        var ct = TestServices.Timeout();
        var simulatorOptions = new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            DefaultReportFile = Fixture("vulnerabilities_addition.response.json"),
            // Long enough that the second request surely finds the first scan still running.
            ScanDelay = TimeSpan.FromSeconds(2),
        };
        await using var session = await SimulatorSession.StartAsync(simulatorOptions);
        var image = await session.PushImageAsync("api", "2.0", ct);

        Assert.Equal(ScanStartResult.Started, await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct));
        Assert.Equal(ScanStartResult.AlreadyRunning, await session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct));
        var overview = await WaitForScanAsync(session, "api", image.ManifestDigest, ct);

        // The fixture has two findings: one High (fixed in 4.9.210-1) and one Low without a fix.
        Assert.Equal("Success", overview.ScanStatus);
        Assert.Equal("High", overview.Severity);
        Assert.Equal(2, overview.Total);
        Assert.Equal(1, overview.Fixable);
        Assert.Equal(1, overview.CountsBySeverity["High"]);
        var report = await session.Harbor.GetVulnerabilityReportAsync(session.Project, "api", image.ManifestDigest, ct);
        Assert.NotNull(report);
        Assert.Equal(HarborReportMimeTypes.Vulnerability11, report.MimeType);
        using var parsed = JsonDocument.Parse(report.Json);
        Assert.Equal(["CVE-2019-18276", "CVE-2013-7445"], parsed.RootElement.GetProperty("vulnerabilities").EnumerateArray().Select(v => v.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task GetVulnerabilityReport_NeverScanned_IsNull()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("api", "1", ct);

        Assert.Null(await session.Harbor.GetVulnerabilityReportAsync(session.Project, "api", image.ManifestDigest, ct));
    }

    [Fact]
    public async Task ProjectSettings_MetadataAndAllowlist_AreStoredAsSent()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();

        await session.Harbor.SetProjectMetadataAsync(session.Project, HarborProjectMetadata.PreventVulnerable, "true", ct);
        await session.Harbor.UpdateProjectAsync(session.Project, new HarborProjectUpdate(
            new Dictionary<string, string> { [HarborProjectMetadata.Severity] = "critical", [HarborProjectMetadata.EnableContentTrustCosign] = "true" },
            new HarborCveAllowlist(0, null, ["CVE-2023-44487"])), ct);

        var metadata = await session.Harbor.GetProjectMetadataAsync(session.Project, ct);
        Assert.Equal("true", metadata[HarborProjectMetadata.PreventVulnerable]);
        Assert.Equal("critical", metadata[HarborProjectMetadata.Severity]);
        Assert.Equal("true", metadata[HarborProjectMetadata.EnableContentTrustCosign]);
        var project = await session.Harbor.GetProjectAsync(session.Project, ct);
        Assert.Equal(["CVE-2023-44487"], project!.CveAllowlist!.CveIds);
        Assert.Null(await session.Harbor.GetProjectAsync("no-such-project", ct));
    }

    [Fact]
    public async Task CreateProject_NewThenTaken_StoredAsSentAndTheSecondAnswerIsConflict()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var metadata = new Dictionary<string, string> { [HarborProjectMetadata.PreventVulnerable] = "true", [HarborProjectMetadata.Severity] = "none" };

        Assert.True(await session.Harbor.CreateProjectAsync(new NewHarborProject("jail", metadata), ct));
        Assert.False(await session.Harbor.CreateProjectAsync(new NewHarborProject("jail", metadata), ct));

        var project = await session.Harbor.GetProjectAsync("jail", ct);
        Assert.Equal("true", project!.Metadata[HarborProjectMetadata.PreventVulnerable]);
        Assert.Equal("none", project.Metadata[HarborProjectMetadata.Severity]);
        Assert.Equal("false", project.Metadata[HarborProjectMetadata.Public]); // Harbor's default for a new project
        var bad = await Assert.ThrowsAsync<HarborApiException>(() => session.Harbor.CreateProjectAsync(new NewHarborProject("Jail!", metadata), ct));
        Assert.Equal(400, bad.StatusCode);
    }

    [Fact]
    public async Task Labels_CreateAddRemove_ShowOnTheArtifact()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("team/api", "1", ct);
        var name = "quarantined-" + session.Project;

        var id = await session.Harbor.CreateLabelAsync(new NewHarborLabel(name, "failed policy", "#C92100", "g", null), ct);
        await session.Harbor.AddLabelAsync(session.Project, "team/api", image.ManifestDigest, id, ct);
        await session.Harbor.AddLabelAsync(session.Project, "team/api", image.ManifestDigest, id, ct);

        Assert.Equal(id, Assert.Single(await session.Harbor.FindLabelsAsync(name, "g", null, ct)).Id);
        Assert.Equal(name, Assert.Single((await session.Harbor.GetArtifactAsync(session.Project, "team/api", image.ManifestDigest, ct))!.Labels).Name);
        Assert.True(await session.Harbor.RemoveLabelAsync(session.Project, "team/api", image.ManifestDigest, id, ct));
        Assert.False(await session.Harbor.RemoveLabelAsync(session.Project, "team/api", image.ManifestDigest, id, ct));
        var duplicate = await Assert.ThrowsAsync<HarborApiException>(() => session.Harbor.CreateLabelAsync(new NewHarborLabel(name, null, null, "g", null), ct));
        Assert.Equal(409, duplicate.StatusCode);
        Assert.Equal("CONFLICT", duplicate.Code);
    }

    [Fact]
    public async Task WebhookPolicies_CreateListUpdate_RoundTrip()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var policy = new HarborWebhookPolicy(0, "harborbridge", "intake", Enabled: false, ["PUSH_ARTIFACT"],
            [new HarborWebhookTarget("http", "http://127.0.0.1:9/webhooks/harbor", "Bearer one", false, "Default")]);

        var id = await session.Harbor.CreateWebhookPolicyAsync(session.Project, policy, ct);
        await session.Harbor.UpdateWebhookPolicyAsync(session.Project, id, policy with
        {
            Enabled = true,
            EventTypes = ["PUSH_ARTIFACT", "SCANNING_COMPLETED"],
            Targets = [policy.Targets[0] with { PayloadFormat = "CloudEvents" }],
        }, ct);

        var stored = Assert.Single(await session.Harbor.ListWebhookPoliciesAsync(session.Project, ct));
        Assert.Equal(id, stored.Id);
        Assert.True(stored.Enabled);
        Assert.Equal(["PUSH_ARTIFACT", "SCANNING_COMPLETED"], stored.EventTypes);
        Assert.Equal("CloudEvents", stored.Targets[0].PayloadFormat);
    }

    [Fact]
    public async Task Lists_ArePagedWithTotalCount()
    {
        var ct = TestServices.Timeout(120);
        await using var session = await SimulatorSession.StartAsync();
        foreach (var repository in new[] { "a", "b", "c" })
        {
            await session.PushImageAsync(repository, "1", ct);
        }

        var first = await session.Harbor.ListRepositoriesAsync(session.Project, 1, 2, ct);
        var second = await session.Harbor.ListRepositoriesAsync(session.Project, 2, 2, ct);

        Assert.Equal(3, first.TotalCount);
        Assert.True(first.HasNextPage);
        Assert.False(second.HasNextPage);
        Assert.Equal(new[] { "a", "b", "c" }.Select(r => $"{session.Project}/{r}"), first.Items.Concat(second.Items).Select(r => r.FullName));
        var artifacts = await session.Harbor.ListArtifactsAsync(session.Project, "b", 1, 10, ct);
        Assert.Equal(1, artifacts.TotalCount);
        var projects = await session.Harbor.ListProjectsAsync(1, 100, ct);
        Assert.Contains(projects.Items, p => p.Name == session.Project);
    }

    [Fact]
    public async Task CopyThenDelete_MovesTheArtifactToTheQuarantineProject()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var quarantine = session.Project + "-quarantine";
        session.Simulator.State.CreateProject(quarantine);
        var image = await session.PushImageAsync("team/api", "1.0", ct);

        await session.Harbor.CopyArtifactAsync(quarantine, "team/api", session.Project, "team/api", image.ManifestDigest, ct);
        await session.Harbor.DeleteArtifactAsync(session.Project, "team/api", image.ManifestDigest, ct);

        Assert.Null(await session.Harbor.GetArtifactAsync(session.Project, "team/api", image.ManifestDigest, ct));
        Assert.Equal(image.ManifestDigest, (await session.Harbor.GetArtifactAsync(quarantine, "team/api", "1.0", ct))!.Digest);
        var copied = await session.Registry.GetManifestAsync(HarborBridge.Harbor.Oci.OciRepository.InHarbor(session.Simulator.Url, quarantine, "team/api"), image.ManifestDigest, ct);
        Assert.Equal(image.Manifest, copied!.Content);
    }

    [Fact]
    public async Task Faults_TransientErrorsOnReads_AreRetriedByTheClient()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        session.Simulator.Faults.FailNext(2, 503);

        var project = await session.Harbor.GetProjectAsync(session.Project, ct);

        Assert.Equal(session.Project, project!.Name);
    }

    [Fact]
    public async Task Faults_TransientErrorOnScanRequest_IsNotRetried()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("api", "1", ct);
        session.Simulator.Faults.FailNext(1, 503);

        var error = await Assert.ThrowsAsync<HarborApiException>(() => session.Harbor.StartScanAsync(session.Project, "api", image.ManifestDigest, ct));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("UNKNOWN", error.Code);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
    }

    [Fact]
    public async Task Faults_TooManyRequestsWithRetryAfter_ClientWaitsThenSucceeds()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        session.Simulator.Faults.RetryAfterSeconds = 1;
        session.Simulator.Faults.FailNext(1, 429);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var metadata = await session.Harbor.GetProjectMetadataAsync(session.Project, ct);

        Assert.Equal("false", metadata["public"]);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"answered after {clock.Elapsed}");
    }

    [Fact]
    public async Task Faults_EveryRequestFails_ClientGivesUpAfterBoundedAttempts()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        session.Simulator.Faults.ServerErrorRate = 1.0;

        var error = await Assert.ThrowsAsync<HarborApiException>(() => session.Harbor.GetSystemInfoAsync(ct));

        Assert.Equal(503, error.StatusCode);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Faults_Latency_DelaysEveryAnswer()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        session.Simulator.Faults.Latency = TimeSpan.FromMilliseconds(400);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.True(await session.Harbor.PingAsync(ct));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(380), $"answered after {clock.Elapsed}");
    }

    internal static async Task<HarborScanOverview> WaitForScanAsync(SimulatorSession session, string repository, string digest, CancellationToken ct)
    {
        for (var i = 0; i < 100; i++)
        {
            var artifact = await session.Harbor.GetArtifactAsync(session.Project, repository, digest, ct);
            if (artifact?.ScanOverviews.FirstOrDefault() is { ScanStatus: not ("Pending" or "Running") } overview)
            {
                return overview;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException("the scan did not finish within 10 s");
    }
}
