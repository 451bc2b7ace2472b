using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>Scans whose result never arrives: the Quartz scan-timeout sweep asks Harbor, decides from the result
/// Harbor has, starts the scan again, and after the last attempt applies onScanFailure.</summary>
public sealed class ScanTimeoutTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _policyFile = Path.Combine(Path.GetTempPath(), $"hb-timeout-policy-{Guid.NewGuid():N}.yaml");
    private PostgresDatabase? _database;
    private SimulatorSession? _session;
    private HarborBridgeFactory? _factory;

    private IDecisionStore Decisions => _factory!.Services.GetRequiredService<IDecisionStore>();

    private async Task StartAsync(TimeSpan scanDelay)
    {
        await File.WriteAllTextAsync(_policyFile, "version: 1\ndefaults:\n  onScanFailure: quarantine\n");
        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            ScanDelay = scanDelay,
            WebhookHandler = () => _factory!.Server.CreateHandler(),
        });
        _session.Simulator.State.AddWebhookPolicy(_session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "CloudEvents",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED");
        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, _policyFile);
        settings["HarborBridge:Policy:ScanTimeout"] = "00:00:05";
        settings["HarborBridge:Policy:SweepInterval"] = "00:00:01";
        settings["HarborBridge:Policy:MaxScanAttempts"] = "2";
        _factory = new HarborBridgeFactory(settings);
        using var client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
    }

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
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
    }

    [Fact]
    public async Task ScanCompletedWebhookLost_SweepFindsHarborsResultAndDecides()
    {
        await StartAsync(scanDelay: TimeSpan.FromSeconds(3));
        var image = await _session!.PushImageAsync("lost-webhook", "v1", TestServices.Timeout(120));
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await _factory!.Store.FindByDigestAsync(image.ManifestDigest, default)).SingleOrDefault()?.State == ArtifactStates.Scanning, Patience));
        _session.Simulator.Faults.DropWebhooks = true; // the scan finishes in Harbor, its webhook never arrives

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience));
        var decision = Assert.Single(await Decisions.GetDecisionsAsync(image.ManifestDigest, default));
        Assert.Equal("Pass", decision.Verdict); // the simulator's default report is clean
        Assert.Contains("scan-timeout sweep", decision.Cause, StringComparison.Ordinal);
        Assert.Contains(_session.Simulator.State.Deliveries, d => d.EventType == "SCANNING_COMPLETED" && d.Dropped);
    }

    [Fact]
    public async Task ScanNeverFinishes_RetriedThenOnScanFailureApplies()
    {
        await StartAsync(scanDelay: TimeSpan.FromMinutes(10));
        var image = await _session!.PushImageAsync("hanging-scan", "v1", TestServices.Timeout(120));

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetDecisionsAsync(image.ManifestDigest, default)).Count > 0, Patience));
        var decision = Assert.Single(await Decisions.GetDecisionsAsync(image.ManifestDigest, default));
        Assert.Equal("Block", decision.Verdict);
        Assert.Contains("scan timeout", decision.Cause, StringComparison.Ordinal);
        var scans = (await Decisions.GetTransitionsAsync(image.ManifestDigest, default)).Count(t => t.ToState == ArtifactStates.Scanning);
        Assert.Equal(2, scans); // the first request and one retry (MaxScanAttempts = 2)
    }
}
