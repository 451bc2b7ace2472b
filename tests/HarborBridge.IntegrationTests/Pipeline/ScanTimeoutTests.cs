using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>Scans whose result never arrives: the Quartz scan-timeout sweep asks Harbor, decides from the result
/// Harbor has, starts the scan again, and after the last attempt applies onScanFailure.</summary>
public sealed class ScanTimeoutTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly PipelineHost _host = new();

    private Task StartAsync(TimeSpan scanDelay) => _host.StartAsync(new PipelineHostOptions
    {
        Policy = "version: 1\ndefaults:\n  onScanFailure: quarantine\n",
        ScanDelay = scanDelay,
        WebhookFormat = "CloudEvents",
        WebhookEvents = ["PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED"],
        Settings =
        {
            ["HarborBridge:Policy:ScanTimeout"] = "00:00:05",
            ["HarborBridge:Policy:SweepInterval"] = "00:00:01",
            ["HarborBridge:Policy:MaxScanAttempts"] = "2",
        },
        Patience = Patience,
    });

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task ScanCompletedWebhookLost_SweepFindsHarborsResultAndDecides()
    {
        await StartAsync(scanDelay: TimeSpan.FromSeconds(3));
        var image = await _host.Session.PushImageAsync("lost-webhook", "v1", TestServices.Timeout(120));
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await _host.Store.FindByDigestAsync(image.ManifestDigest, default)).SingleOrDefault()?.State == ArtifactStates.Scanning, Patience));
        _host.Session.Simulator.Faults.DropWebhooks = true; // the scan finishes in Harbor, its webhook never arrives

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _host.Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience));
        var decision = Assert.Single(await _host.Decisions.GetDecisionsAsync(image.ManifestDigest, default));
        Assert.Equal("Pass", decision.Verdict); // the simulator's default report is clean
        Assert.Contains("scan-timeout sweep", decision.Cause, StringComparison.Ordinal);
        Assert.Contains(_host.Session.Simulator.State.Deliveries, d => d.EventType == "SCANNING_COMPLETED" && d.Dropped);
    }

    [Fact]
    public async Task ScanNeverFinishes_RetriedThenOnScanFailureApplies()
    {
        await StartAsync(scanDelay: TimeSpan.FromMinutes(10));
        var image = await _host.Session.PushImageAsync("hanging-scan", "v1", TestServices.Timeout(120));

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _host.Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience));
        var decision = Assert.Single(await _host.Decisions.GetDecisionsAsync(image.ManifestDigest, default));
        Assert.Equal("Block", decision.Verdict);
        Assert.Contains("scan timeout", decision.Cause, StringComparison.Ordinal);
        var scans = (await _host.Decisions.GetTransitionsAsync(image.ManifestDigest, default)).Count(t => t.ToState == ArtifactStates.Scanning);
        Assert.Equal(2, scans); // the first request and one retry (MaxScanAttempts = 2)
    }
}
