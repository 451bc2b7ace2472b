using HarborBridge.Core.Policy;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Harbor;
using HarborBridge.HarborSimulator;
using HarborBridge.Hosting;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using HarborBridge.Scheduling;
using HarborBridge.Webhooks;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;
using Xunit.Abstractions;

namespace HarborBridge.IntegrationTests.Scheduling;

/// <summary>Benchmark (Category=Benchmark): reconcile and re-evaluate 10,000 artifacts against the simulator with
/// HarborBridge's real Harbor client, stores (PostgreSQL) and services. Goal: under 5 minutes, at most 3 Harbor API
/// calls per artifact on average. Figures go to the test output and docs/performance.md.</summary>
[Trait("Category", "Benchmark")]
public sealed class ReconcileRescanBenchmark(ITestOutputHelper output)
{
    private const int Artifacts = 10_000;
    private const int Repositories = 20;
    private const int Concurrency = 16;

    [Fact]
    public async Task ReconcileAndReevaluate_TenThousandArtifacts_UnderFiveMinutesAndThreeCallsEach()
    {
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry });
        await using var database = await Infrastructure.PostgresDatabase.CreateAsync();
        var policyFile = Path.Combine(session.WorkDir, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\n");
        var critical = JsonNode.Parse("""
            {"scanner":{"name":"Trivy","version":"v0.65.0"},"severity":"Critical","vulnerabilities":[
              {"id":"CVE-2026-40001","package":"openssl","version":"3.0.1","fix_version":"3.0.2","severity":"Critical"}]}
            """)!.AsObject();
        var pushedAt = DateTimeOffset.UtcNow.AddHours(-1);
        for (var i = 0; i < Artifacts; i++)
        {
            // Every tenth image has a new CRITICAL finding, so the rescan also takes the AtRisk path.
            session.Simulator.State.AddScannedArtifact(session.Project, $"team/app-{i % Repositories}", $"sha256:{i:x64}", "v1",
                pushedAt.AddMilliseconds(i), i % 10 == 0 ? (JsonObject)critical.DeepClone() : null);
        }

        await using var services = Services(session, database.ConnectionString, policyFile);
        await services.GetRequiredService<SchemaMigrator>().MigrateAsync(default);
        var announced = new List<ArtifactPushed>();
        var publisher = Substitute.For<IPublishEndpoint>();
        await publisher.Publish(Arg.Do<ArtifactPushed>(m => { lock (announced) { announced.Add(m); } }), Arg.Any<CancellationToken>());

        var before = session.Simulator.State.ApiRequests;
        var clock = Stopwatch.StartNew();
        await services.GetRequiredService<Reconciler>().ReconcileAsync(new ReconcileHarbor("bench", DateTimeOffset.UtcNow), publisher, default);
        var reconcileTime = clock.Elapsed;
        var reconcileCalls = session.Simulator.State.ApiRequests - before;
        Assert.Equal(Artifacts, announced.Select(a => a.Artifact).Distinct().Count());

        // The pipeline approves what was announced (outside the benchmark); then every artifact is re-evaluated.
        var decisions = services.GetRequiredService<IDecisionStore>();
        await Parallel.ForEachAsync(announced, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (a, ct) =>
            await decisions.ApplyAsync(new LifecycleChange(a.Artifact, new ScanVerdictCause(Verdict.Pass, true, DateTimeOffset.UtcNow.AddDays(-1)),
                $"bench:{a.Artifact}", "benchmark set-up", "test", DateTimeOffset.UtcNow), ct));
        var rescans = services.GetRequiredService<RescanService>();
        var beforeRescan = session.Simulator.State.ApiRequests;
        var rescanClock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(announced, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (a, ct) =>
            await rescans.ReevaluateAsync(new ReevaluateArtifact($"bench:{a.Artifact}", a.Artifact, "benchmark", DateTimeOffset.UtcNow), publisher, ct));
        var rescanTime = rescanClock.Elapsed;
        var rescanCalls = session.Simulator.State.ApiRequests - beforeRescan;
        var total = clock.Elapsed;
        var atRisk = (await services.GetRequiredService<Core.Scheduling.IScheduleStore>().ListInStatesAsync([ArtifactStates.AtRisk], Artifacts, default)).Count;

        var perArtifact = (double)(reconcileCalls + rescanCalls) / Artifacts;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reconcile: {Artifacts} artifacts in {reconcileTime.TotalSeconds:F1} s, {reconcileCalls} Harbor calls; " +
            $"re-evaluate: {rescanTime.TotalSeconds:F1} s, {rescanCalls} Harbor calls, {atRisk} at risk; " +
            $"total {total.TotalSeconds:F1} s, {perArtifact:F3} calls per artifact; {Environment.ProcessorCount} cores"));
        Assert.Equal(Artifacts / 10, atRisk);
        Assert.True(total < TimeSpan.FromMinutes(5), $"took {total}");
        Assert.True(perArtifact <= 3, $"{perArtifact:F3} Harbor calls per artifact");
    }

    private static ServiceProvider Services(SimulatorSession session, string connectionString, string policyFile)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = session.Simulator.Url.ToString(),
            ["HarborBridge:Harbor:Username"] = SimulatorSession.User,
            ["HarborBridge:Harbor:Password"] = SimulatorSession.Password,
        }).Build();
        DateTimeOffsetHandler.Register();
        return new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddHarborClients(configuration)
            .Configure<DatabaseOptions>(o => (o.Provider, o.ConnectionString) = (DatabaseProvider.Postgres, connectionString))
            .Configure<PolicyOptions>(o => o.File = policyFile)
            .Configure<SchedulesOptions>(o => o.Reconciliation.Projects = [session.Project])
            .Configure<WebhookOptions>(_ => { })
            .AddSingleton<DbConnectionFactory>()
            .AddSingleton<HarborBridge.Hosting.PipelineMetrics>()
            .AddSingleton<SchemaMigrator>()
            .AddSingleton<Core.Artifacts.IArtifactStore, SqlArtifactStore>()
            .AddSingleton<IDecisionStore, SqlDecisionStore>()
            .AddSingleton<Core.Scheduling.IScheduleStore, SqlScheduleStore>()
            .AddSingleton<PolicyProvider>()
            .AddSingleton<Decisions.IScanEvidence, Decisions.HarborScanEvidence>()
            .AddSingleton<Core.Policy.IUpstreamEvidence, Decisions.RegistryUpstreamEvidence>()
            .AddSingleton<Core.Policy.IGrantedExceptions>(Core.Policy.NoGrantedExceptions.Instance)
            .AddSingleton<Decisions.DecisionService>()
            .AddSingleton<RescanService>()
            .AddSingleton<WebhookAuthenticator>()
            .AddSingleton<WebhookRepair>()
            .AddSingleton<Reconciler>()
            .BuildServiceProvider();
    }
}
