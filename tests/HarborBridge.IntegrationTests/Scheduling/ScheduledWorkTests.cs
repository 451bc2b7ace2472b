using Dapper;
using HarborBridge.Contracts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using Npgsql;

namespace HarborBridge.IntegrationTests.Scheduling;

/// <summary>The Quartz jobs in the real <c>serve</c> host (RabbitMQ, PostgreSQL with the clustered job store) against
/// the Harbor simulator: reconciliation finds what a lost webhook never announced, and two instances on one database
/// run every firing once. (AtRisk and the deadline are covered with an injected clock in the unit tests.)</summary>
public sealed class ScheduledWorkTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const string EverySecond = "* * * * * ?";
    private readonly string _policyFile = Path.Combine(Path.GetTempPath(), $"hb-sched-policy-{Guid.NewGuid():N}.yaml");
    private readonly List<HarborBridgeFactory> _factories = [];
    private PostgresDatabase? _database;
    private SimulatorSession? _session;

    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private async Task<Dictionary<string, string?>> SettingsAsync(params (string Key, string Value)[] overrides)
    {
        await File.WriteAllTextAsync(_policyFile, "version: 1\nrescan:\n  fixWithin: { CRITICAL: 7d, HIGH: 30d }\n");
        _session ??= await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry, ScanDelay = TimeSpan.FromMinutes(10) });
        _database ??= await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, _policyFile);
        foreach (var job in new[] { "Rescan", "AtRiskDeadlines", "Reconcile", "ExceptionExpiry" })
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
}
