using System.Text.Json;
using System.Text.RegularExpressions;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Deploy;

/// <summary>
/// <c>/metrics</c> after the real pipeline (simulator → webhook → RabbitMQ → decision in PostgreSQL) blocked an image:
/// the webhook, decision, stage-latency and per-state series move, and every metric the Grafana dashboard
/// (deploy/grafana/harborbridge.json) queries is exported. Counters are process-wide and other tests run in parallel,
/// so counters are checked as "grew by at least" this test's own events.
/// </summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-metrics-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase _database = null!;
    private SimulatorSession _session = null!;
    private HarborBridgeFactory? _factory;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var policyFile = Path.Combine(_directory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  warn: { severity: HIGH }\n");
        var project = "metr" + Guid.NewGuid().ToString("N")[..8];
        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            // 2 Critical, 2 High, 1 Negligible (counted by hand) -> Block.
            Reports = { [$"{project}/critical"] = TestEnvironment.FixturePath("policy", "harbor", "harbor-5-vuln.json") },
            ScanDelay = TimeSpan.FromMilliseconds(200),
            WebhookHandler = () => _factory!.Server.CreateHandler(),
        }, project: project);
        _session.Simulator.State.AddWebhookPolicy(_session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        settings["HarborBridge:Metrics:ArtifactGaugeInterval"] = "00:00:01";
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
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task BlockedPush_MovesWebhookDecisionStageAndStateSeries_AndDashboardNamesAreExported()
    {
        var before = PrometheusText.Parse(await _client.GetStringAsync("/metrics"));

        var image = await _session.PushImageAsync("critical", "v1", TestServices.Timeout(120));
        var store = _factory!.Services.GetRequiredService<IArtifactStore>();
        Assert.True(await TestEnvironment.EventuallyAsync(
            async () => (await store.FindByDigestAsync(image.ManifestDigest, default)).Any(a => a.State == ArtifactStates.Quarantined), Patience));

        var text = await _client.GetStringAsync("/metrics");
        var after = PrometheusText.Parse(text);
        double Grew(string series) => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);

        // One PUSH_ARTIFACT and one SCANNING_COMPLETED webhook were queued, one enforced Block decision was stored.
        Assert.True(Grew("harborbridge_webhooks_total{outcome=\"queued\",reason=\"push_artifact\"}") >= 1, text);
        Assert.True(Grew("harborbridge_webhooks_total{outcome=\"queued\",reason=\"scanning_completed\"}") >= 1, text);
        Assert.True(Grew("harborbridge_decisions_total{verdict=\"block\",enforced=\"true\"}") >= 1, text);
        Assert.True(Grew("harborbridge_stage_duration_seconds_count{stage=\"decide\"}") >= 1, text);
        Assert.True(Grew("harborbridge_scan_requests_total{mode=\"harbor\"}") >= 1, text);
        // Counted from this test's own database by the gauge refresher (every second here, never per scrape): exactly the
        // one artifact, quarantined. Other hosts in this test process share the static gauge, hence "eventually".
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            var now = PrometheusText.Parse(await _client.GetStringAsync("/metrics"));
            return now.GetValueOrDefault("harborbridge_artifacts{state=\"Quarantined\"}") == 1 && now.GetValueOrDefault("harborbridge_artifacts{state=\"Approved\"}") == 0;
        }, Patience), "the artifact gauge did not show the one quarantined artifact");
        Assert.Contains("harborbridge_messages_in_flight{message=\"ScanCompleted\"}", after.Keys);

        // Every metric the Grafana dashboard queries is one /metrics exports.
        var exported = TypeLine().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryFiles.PathOf("deploy", "grafana", "harborbridge.json")));
        var queried = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricName().Matches(t.GetProperty("expr").GetString()!).Select(m => m.Value))
            .Select(n => HistogramSuffix().Replace(n, ""))
            .ToHashSet();
        Assert.True(queried.Count >= 9, string.Join(", ", queried));
        Assert.Empty(queried.Except(exported));
    }

    [GeneratedRegex(@"^# TYPE (harborbridge_[a-z_]+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"harborbridge_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
