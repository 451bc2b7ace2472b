using BenchmarkDotNet.Attributes;
using Dapper;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using HarborBridge.Hosting;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HarborBridge.Benchmarks;

/// <summary>The policy impact preview over 10,000 decided artifacts in a SQLite database, read in pages and judged with a
/// stricter candidate, as <c>POST /api/v1/policy/preview</c> does. A third of the stored reports are Harbor's 131-finding
/// Trivy report, a third the 5-finding Harbor fixture, a third clean. Goal: under 10 s.</summary>
[MemoryDiagnoser]
[GcServer(true)]
public class PolicyPreviewBenchmark
{
    public const int Artifacts = 10_000;
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private string _dir = "";
    private ServiceProvider _services = null!;
    private PolicyDocument _candidate = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hb-preview-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        var policyFile = Path.Combine(_dir, "policy.yaml");
        File.WriteAllText(policyFile, "version: 1\n");
        DateTimeOffsetHandler.Register();
        _services = new ServiceCollection()
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(TimeProvider.System)
            .Configure<DatabaseOptions>(o => o.ConnectionString = $"Data Source={Path.Combine(_dir, "hb.db")}")
            .Configure<PolicyOptions>(o => o.File = policyFile)
            .AddSingleton<DbConnectionFactory>()
            .AddSingleton<SchemaMigrator>()
            .AddSingleton<PolicyProvider>()
            .AddSingleton<SqlPolicyPreviewStore>()
            .AddSingleton<IGrantedExceptions>(NoGrantedExceptions.Instance)
            .AddSingleton<PolicyPreviewService>()
            .BuildServiceProvider();
        _services.GetRequiredService<SchemaMigrator>().MigrateAsync(default).GetAwaiter().GetResult();
        SeedAsync().GetAwaiter().GetResult();
        _candidate = PolicyLoader.Load("version: 1\ndefaults:\n  block: { severity: HIGH }\n  warn: { severity: MEDIUM }\n  ignoreUnfixed: true\n", "candidate.yaml");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Description = "Preview a stricter policy over 10,000 stored artifacts (SQLite)")]
    public PolicyImpact Preview10K() =>
        _services.GetRequiredService<PolicyPreviewService>().PreviewAsync(_candidate, PolicyInputs.None, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>10,000 artifacts decided by the built-in policy, written as the pipeline stores them (artifact row pointing
    /// at its decision in force).</summary>
    private async Task SeedAsync()
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
        ScanReport[] reports =
        [
            ReportReader.Read(File.ReadAllBytes(Path.Combine(fixtures, "harbor-trivy-vuln.json"))),
            ReportReader.Read(File.ReadAllBytes(Path.Combine(fixtures, "harbor-5-vuln.json"))),
            ReportReader.Read(File.ReadAllBytes(Path.Combine(fixtures, "harbor-0-vuln.json"))),
        ];
        var inForce = PolicyLoader.Load("version: 1\n", "in-force.yaml");
        await using var connection = await _services.GetRequiredService<DbConnectionFactory>().OpenAsync(default);
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < Artifacts; i++)
        {
            var artifact = new ArtifactRef("team" + (i % 10), "app-" + (i % 100), $"sha256:{i:x64}");
            var decision = PolicyEvaluator.Evaluate(artifact, reports[i % 3], inForce, Now, PolicyInputs.None);
            var state = ArtifactLifecycle.VerdictState(decision.Verdict, decision.Enforced).ToString();
            var id = $"dec-{i}";
            await connection.ExecuteAsync(
                """
                INSERT INTO decisions (decision_id, project, repository, digest, verdict, enforced, policy_version, report_digest, reason, cause, decided_at, findings_json, decision_json)
                VALUES (@id, @Project, @Repository, @Digest, @verdict, 1, @version, @reportDigest, 'seed', 'seed', @now, '[]', @json);
                INSERT INTO artifacts (project, repository, digest, state, first_seen_at, updated_at, decision_id)
                VALUES (@Project, @Repository, @Digest, @state, @now, @now, @id);
                """,
                new
                {
                    id, artifact.Project, artifact.Repository, artifact.Digest, verdict = decision.Verdict.ToString(), version = decision.PolicyVersion,
                    reportDigest = decision.ReportDigest, now = Now, json = DecisionRenderer.ToJson(decision), state,
                },
                transaction);
        }

        await transaction.CommitAsync();
    }
}
