using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.Benchmarks;

/// <summary>Parse a report and evaluate it against the example policy: what the scan-completed consumer and
/// <c>policy check</c> do per artifact.</summary>
/// <remarks>Runs with server GC, as <c>harborbridge</c> itself does (its runtimeconfig sets <c>System.GC.Server</c>).</remarks>
[MemoryDiagnoser]
[GcServer(true)]
public class PolicyBenchmarks
{
    private static readonly ArtifactRef Artifact = new("payments", "api", "sha256:" + new string('a', 64));
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private byte[] _harbor131 = [];
    private byte[] _generated10K = [];
    private PolicyDocument _policy = null!;
    private ScanReport _parsed10K = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "fixtures");
        _harbor131 = File.ReadAllBytes(Path.Combine(dir, "harbor-trivy-vuln.json"));
        _policy = PolicyLoader.Load(File.ReadAllText(Path.Combine(dir, "policy.yaml")));
        _generated10K = GenerateTrivyReport(10_000);
        _parsed10K = ReportReader.Read(_generated10K);
    }

    [Benchmark(Description = "Trivy report, 10,000 findings: parse only")]
    public ScanReport Generated10KParseOnly() => ReportReader.Read(_generated10K);

    [Benchmark(Description = "Trivy report, 10,000 findings: evaluate only")]
    public Decision Generated10KEvaluateOnly() => PolicyEvaluator.Evaluate(Artifact, _parsed10K, _policy, null, Now);

    [Benchmark(Description = "Harbor report, 131 findings")]
    public Decision Harbor131() => PolicyEvaluator.Evaluate(Artifact, ReportReader.Read(_harbor131), _policy, null, Now);

    [Benchmark(Description = "Trivy report, 10,000 findings")]
    public Decision Generated10K() => PolicyEvaluator.Evaluate(Artifact, ReportReader.Read(_generated10K), _policy, null, Now);

    /// <summary>A Trivy JSON report with <paramref name="count"/> vulnerabilities over 20 targets, every severity and
    /// status, comma fixed-version lists, CVSS from two sources, and one in ten repeated in a second target.</summary>
    public static byte[] GenerateTrivyReport(int count)
    {
        string[] severities = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("SchemaVersion", 2);
            json.WriteString("CreatedAt", Now.AddHours(-1));
            json.WriteString("ArtifactName", "harbor.example.com/payments/api@sha256:" + new string('a', 64));
            json.WriteStartArray("Results");
            const int Targets = 20;
            for (var t = 0; t < Targets; t++)
            {
                json.WriteStartObject();
                json.WriteString("Target", $"layer-{t}");
                json.WriteString("Class", t == 0 ? "os-pkgs" : "lang-pkgs");
                json.WriteStartArray("Vulnerabilities");
                for (var i = t; i < count; i += Targets)
                {
                    // One in ten findings repeats one from the previous target (same id, package, version).
                    var n = i % 10 == 9 && i >= Targets ? i - Targets + 1 : i;
                    json.WriteStartObject();
                    json.WriteString("VulnerabilityID", $"CVE-2026-{n:D5}");
                    json.WriteString("PkgID", $"pkg{n % 997}@1.{n % 13}.0");
                    json.WriteString("PkgName", $"pkg{n % 997}");
                    json.WriteStartObject("PkgIdentifier");
                    json.WriteString("PURL", $"pkg:npm/pkg{n % 997}@1.{n % 13}.0");
                    json.WriteEndObject();
                    json.WriteString("InstalledVersion", $"1.{n % 13}.0");
                    if (n % 3 != 0)
                    {
                        json.WriteString("FixedVersion", n % 2 == 0 ? $"1.{n % 13}.1" : $"1.{n % 13}.1, 2.0.{n % 7}");
                        json.WriteString("Status", "fixed");
                    }
                    else
                    {
                        json.WriteString("Status", "affected");
                    }

                    json.WriteString("Severity", severities[n % severities.Length]);
                    json.WriteString("Title", "Generated finding " + n);
                    json.WriteString("PrimaryURL", $"https://avd.aquasec.com/nvd/cve-2026-{n:D5}");
                    json.WriteStartObject("CVSS");
                    json.WriteStartObject("nvd");
                    json.WriteNumber("V3Score", n % 100 / 10.0);
                    json.WriteString("V3Vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
                    json.WriteEndObject();
                    json.WriteStartObject("ghsa");
                    json.WriteNumber("V40Score", n % 90 / 10.0);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }
}
