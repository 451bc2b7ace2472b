using System.CommandLine;
using System.Text.Json;
using HarborBridge.Cli;
using HarborBridge.UnitTests.Policy;

namespace HarborBridge.UnitTests.Cli;

/// <summary><c>policy check --report FOLDER</c>: many reports in one run, a line each, progress on stderr.</summary>
public sealed class PolicyCheckBatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-policy-batch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three Harbor reports, counted by hand under "block CRITICAL, warn HIGH": harbor-0-vuln (no findings: pass),
    /// vulnerabilities_addition.response (1 High, 1 Low: warn), harbor-5-vuln (2 Critical, 2 High: block).</summary>
    private string Reports(bool withBadFile = false)
    {
        var reports = Directory.CreateDirectory(Path.Combine(_dir, "reports")).FullName;
        File.Copy(ReportFixtures.PathOf("harbor/harbor-0-vuln.json"), Path.Combine(reports, "a-clean.json"));
        File.Copy(ReportFixtures.PathOf("harbor/vulnerabilities_addition.response.json"), Path.Combine(reports, "b-high.json"));
        Directory.CreateDirectory(Path.Combine(reports, "team"));
        File.Copy(ReportFixtures.PathOf("harbor/harbor-5-vuln.json"), Path.Combine(reports, "team", "c-critical.json"));
        File.WriteAllText(Path.Combine(reports, "notes.txt"), "not a report, not judged");
        if (withBadFile)
        {
            File.WriteAllText(Path.Combine(reports, "d-broken.json"), "{ not json");
        }

        return reports;
    }

    private string Policy()
    {
        var path = Path.Combine(_dir, "policy.yaml");
        File.WriteAllText(path, "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  warn: { severity: HIGH }\n");
        return path;
    }

    [Fact]
    public async Task Folder_OneLinePerReport_SummaryAndProgress_Exit1WhenOneIsBlocked()
    {
        var run = await RunAsync("--policy", Policy(), "--report", Reports());

        Assert.Equal(1, run.Exit);
        var lines = run.Out.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("PASS   a-clean.json", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("WARN   b-high.json  0 blocking, 1 warning", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"BLOCK  team{Path.DirectorySeparatorChar}c-critical.json  2 blocking, 2 warning", lines[2], StringComparison.Ordinal);
        Assert.Equal("3 reports: 1 pass, 1 warn, 1 block, 0 unreadable", lines[3]);
        Assert.EndsWith("policy check: 3/3 reports judged (1 blocked)\n", run.Err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Folder_UnreadableReportWithoutBlocks_Exit2AndNamesIt()
    {
        var reports = Reports(withBadFile: true);
        File.Delete(Path.Combine(reports, "team", "c-critical.json"));

        var run = await RunAsync("--policy", Policy(), "--report", reports, "--format", "json");

        Assert.Equal(2, run.Exit);
        using var json = JsonDocument.Parse(run.Out);
        var verdicts = json.RootElement.EnumerateArray().Select(e => (e.GetProperty("file").GetString(), e.GetProperty("verdict").GetString())).ToList();
        Assert.Equal([("a-clean.json", "Pass"), ("b-high.json", "Warn"), ("d-broken.json", "Error")], verdicts);
    }

    [Fact]
    public async Task Folder_Sarif_IsBadInput()
    {
        var run = await RunAsync("--policy", Policy(), "--report", Reports(), "--format", "sarif");

        Assert.Equal(2, run.Exit);
        Assert.Contains("--format sarif takes one report", run.Err, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await new RootCommand { PolicyCheckCommand.Create() }.Parse(["policy", "check", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, timeout.Token);
        return (exit, output.ToString(), error.ToString());
    }
}
