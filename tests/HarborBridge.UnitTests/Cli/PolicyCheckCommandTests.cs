using System.CommandLine;
using System.Text.Json.Nodes;
using HarborBridge.Cli;
using HarborBridge.UnitTests.Policy;

namespace HarborBridge.UnitTests.Cli;

public sealed class PolicyCheckCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-policy-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Check_CleanReport_Exits0AndSaysPass()
    {
        var run = await RunAsync("--policy", Policy("version: 1\n"), "--report", Fixture("trivy/sl-micro-rancher5.4.json.golden"));

        Assert.Equal(0, run.Exit);
        Assert.StartsWith("PASS: ", run.Out, StringComparison.Ordinal);
        Assert.Equal("", run.Err);
    }

    [Fact]
    public async Task Check_OnlyWarnings_Exits0AndPrintsTheWarnings()
    {
        var policy = Policy("version: 1\ndefaults:\n  block: { severity: NONE }\n  warn: { severity: MEDIUM }\n");

        var run = await RunAsync("--policy", policy, "--report", Fixture("trivy/alpine-39.json.golden"));

        Assert.Equal(0, run.Exit);
        Assert.StartsWith("WARN: ", run.Out, StringComparison.Ordinal);
        Assert.Contains("Warnings (6):", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CriticalFinding_Exits1AndListsWhatToFix()
    {
        var run = await RunAsync("--policy", Policy("version: 1\n"), "--report", Fixture("trivy/spring4shell-jre11.json.golden"),
            "--project", "team", "--repository", "api", "--digest", "sha256:" + new string('d', 64));

        Assert.Equal(1, run.Exit);
        Assert.StartsWith("BLOCK: team/api@sha256:dddd", run.Out, StringComparison.Ordinal);
        Assert.Contains("CVE-2022-22965  CRITICAL  org.springframework:spring-beans 5.3.15 -> 5.3.18", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DryRunProject_Exits0ButReportsTheBlock()
    {
        var policy = Policy("version: 1\nprojects:\n  - match: { project: sandbox }\n    enforcement: dryrun\n");

        var run = await RunAsync("--policy", policy, "--report", Fixture("trivy/alpine-39.json.golden"), "--project", "sandbox", "--repository", "x");

        Assert.Equal(0, run.Exit);
        Assert.StartsWith("BLOCK (dry run: recorded, not enforced)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_HarborSaysNoReport_Exits1PerOnScanFailureHold()
    {
        var report = Path.Combine(_dir, "empty.json");
        await File.WriteAllTextAsync(report, "{}");

        var run = await RunAsync("--policy", Policy("version: 1\n"), "--report", report);

        Assert.Equal(1, run.Exit);
        Assert.Contains("no scan report", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KevFileNextToThePolicy_BlocksAListedMediumFinding()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "kev.json"), """{ "catalogVersion": "t", "vulnerabilities": [ { "cveID": "CVE-2019-1551" } ] }""");
        var policy = Policy("version: 1\ndefaults: { block: { severity: NONE } }\nkev: { file: kev.json }\n");

        var run = await RunAsync("--policy", policy, "--report", Fixture("trivy/alpine-39.json.golden"), "--format", "json");

        Assert.Equal(1, run.Exit);
        var json = JsonNode.Parse(run.Out)!;
        var blocking = json["findings"]!.AsArray().Where(f => (string?)f!["outcome"] == "block").Select(f => (string?)f!["id"]).ToList();
        Assert.Equal(["CVE-2019-1551", "CVE-2019-1551"], blocking);
    }

    [Fact]
    public async Task Check_FormatSarif_WritesSarif210()
    {
        var run = await RunAsync("--policy", Policy("version: 1\n"), "--report", Fixture("harbor/harbor-trivy-vuln.json"), "--format", "sarif");

        Assert.Equal(1, run.Exit);
        var sarif = JsonNode.Parse(run.Out)!;
        Assert.Equal("2.1.0", (string?)sarif["version"]);
        Assert.Equal(5, sarif["runs"]![0]!["results"]!.AsArray().Count(r => (string?)r!["level"] == "error"));
    }

    [Theory]
    [InlineData("version: 1\ndefaults:\n  blok: { severity: HIGH }\n", "line 3, column 3: defaults.blok: unknown key")]
    [InlineData("version: 1\ndefaults:\n  block: { severity: SEVERE }\n", "line 3, column 22: defaults.block.severity: unknown severity 'SEVERE'")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    expires: 2027-13-01\n", "line 5, column 14: exceptions[0].expires: '2027-13-01' is not a date")]
    [InlineData("version: 1\nprojects:\n  - match: { project: \"a[\" }\n", "line 3, column 23: projects[0].match.project: bad glob 'a['")]
    [InlineData("version: 1\ndefaults: { block: { severity: HIGH }\n", "YAML syntax error")]
    public async Task Check_BadPolicy_Exits2WithOneLineNamingLineAndField(string yaml, string expected)
    {
        var run = await RunAsync("--policy", Policy(yaml), "--report", Fixture("trivy/alpine-39.json.golden"));

        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Out);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
        Assert.Single(run.Err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trivy/alpine-310.sarif.golden", "The report is SARIF")]
    [InlineData("trivy/fluentd-multiple-lockfiles-short.cdx.json.golden", "CycloneDX")]
    public async Task Check_ReportInAnotherFormat_Exits2(string file, string expected)
    {
        var run = await RunAsync("--policy", Policy("version: 1\n"), "--report", Fixture(file));

        Assert.Equal(2, run.Exit);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"SchemaVersion\": 2, \"Results\": [", "not valid JSON (line 1")]
    [InlineData("[]", "bare JSON array")]
    [InlineData("", "The report is empty")]
    public async Task Check_BrokenReport_Exits2(string content, string expected)
    {
        var report = Path.Combine(_dir, "report.json");
        await File.WriteAllTextAsync(report, content);

        var run = await RunAsync("--policy", Policy("version: 1\n"), "--report", report);

        Assert.Equal(2, run.Exit);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
        Assert.Single(run.Err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Check_BadArguments_Exit2WithAClearMessage()
    {
        var policy = Policy("version: 1\n");
        var report = Fixture("trivy/alpine-39.json.golden");

        var missingPolicy = await RunAsync("--report", report);
        var missingFile = await RunAsync("--policy", Path.Combine(_dir, "nope.yaml"), "--report", report);
        var badFormat = await RunAsync("--policy", policy, "--report", report, "--format", "xml");
        var unknownOption = await RunAsync("--policy", policy, "--report", report, "--frobnicate");
        var missingKev = await RunAsync("--policy", Policy("version: 1\nkev: { file: missing-kev.json }\n"), "--report", report);

        Assert.Equal((2, "policy check: --policy FILE is required.\n"), (missingPolicy.Exit, missingPolicy.Err));
        Assert.Equal(2, missingFile.Exit);
        Assert.Contains("cannot read policy file", missingFile.Err, StringComparison.Ordinal);
        Assert.Equal((2, "policy check: --format must be text, json or sarif, not 'xml'.\n"), (badFormat.Exit, badFormat.Err));
        Assert.Equal(2, unknownOption.Exit);
        Assert.Contains("'--frobnicate'", unknownOption.Err, StringComparison.Ordinal);
        Assert.Equal(2, missingKev.Exit);
        Assert.Contains("cannot read KEV file", missingKev.Err, StringComparison.Ordinal);
    }

    private string Policy(string yaml)
    {
        var path = Path.Combine(_dir, $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Fixture(string file) => ReportFixtures.PathOf(file);

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand { PolicyCheckCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await root.Parse(["policy", "check", .. args]).InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error }, timeout.Token);
        return (exit, output.ToString(), error.ToString());
    }
}

/// <summary>Runs the real entry point with the process console captured; not parallel with anything else that writes to it.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

[Collection(nameof(ConsoleCollection))]
public sealed class CliAppPolicyCheckTests
{
    [Fact]
    public async Task RunAsync_PolicyCheckVerb_IsRegisteredAndReturnsTheVerdictExitCode()
    {
        var policy = Path.Combine(AppContext.BaseDirectory, "config", "policy.yaml");
        var report = ReportFixtures.PathOf("trivy/alpine-39.json.golden");
        var originalOut = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        int exit;
        try
        {
            exit = await CliApp.RunAsync(["policy", "check", "--policy", policy, "--report", report, "--project", "web", "--repository", "frontend/app"]);
        }
        finally
        {
            Console.SetOut(originalOut);
        }

        // The example policy blocks CRITICAL (alpine-39 has two) and reports older than 7 days.
        Assert.Equal(1, exit);
        Assert.StartsWith("BLOCK: web/frontend/app (no digest given)", captured.ToString(), StringComparison.Ordinal);
    }
}
