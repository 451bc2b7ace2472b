using System.Text.Json;
using HarborBridge.IntegrationTests.Hosting;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Signing;

namespace HarborBridge.IntegrationTests.Dashboard;

/// <summary>
/// The README quick start followed literally in headless Chromium (tests/tools/demo-browser.js): run
/// <c>harborbridge demo</c>, open the dashboard address it printed, and see the three artifacts decided, each with its
/// outcome, without typing the token anywhere. The screenshot is kept in the test output under screenshots/demo/.
/// </summary>
public sealed class DemoBrowserTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task QuickStart_OpenThePrintedDashboardUrl_ThreeDecidedArtifactsWithTheirOutcomes()
    {
        var node = TestEnvironment.Require("HB_TEST_PLAYWRIGHT");
        var chromium = TestEnvironment.Require("HB_TEST_CHROMIUM");
        var tools = TestEnvironment.Require("HB_TEST_TOOLS");
        DemoCommandTests.RequireDockerRegistry();
        await using var demo = DemoProcess.Start();
        Assert.True(await demo.WaitForOutputAsync("Press Ctrl+C", Patience), "the demo did not get ready within 3 min:\n" + demo.Output);
        using (var http = new HttpClient { BaseAddress = demo.ServiceUrl, Timeout = TimeSpan.FromSeconds(15) })
        {
            foreach (var (_, digest) in demo.Pushed.Values)
            {
                await DemoCommandTests.DecidedAsync(http, demo.Token, digest);
            }
        }

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots", "demo");
        Directory.CreateDirectory(shots);
        var (exitCode, output) = await ToolProcess.RunAsync("node", [Path.Combine(tools, "demo-browser.js"), demo.DashboardUrl, shots],
            shots, new Dictionary<string, string> { ["HB_TEST_PLAYWRIGHT"] = node, ["HB_TEST_CHROMIUM"] = chromium });
        Assert.True(exitCode == 0, "the browser session failed: " + output);
        using var observed = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(shots, "observed.json")));
        var seen = observed.RootElement;

        // Signed in by the printed address alone; the token left the address bar.
        Assert.False(seen.GetProperty("loginVisible").GetBoolean());
        Assert.DoesNotContain(demo.Token, seen.GetProperty("addressAfter").GetString(), StringComparison.Ordinal);

        // "All artifacts": artifact (repository + tag), project, state — one row per image, each decided as the demo's
        // policy says (block CRITICAL, warn HIGH, see DemoCommandTests for the reports).
        var rows = seen.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToList()).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal("demo", r[1]));
        string StateOf(string repository) => rows.Single(r => r[0].StartsWith(repository + " (1.0)", StringComparison.Ordinal))[2];
        Assert.Equal("Approved", StateOf("clean"));
        Assert.Equal("Warned", StateOf("high"));
        Assert.Equal("Quarantined", StateOf("critical"));
        Assert.True(new FileInfo(Path.Combine(shots, "demo-all-artifacts.png")).Length > 1000, "screenshot missing or empty");

        Assert.True(await demo.SignalAndWaitAsync("INT", TimeSpan.FromSeconds(45)), "the demo did not stop on SIGINT");
        Assert.Equal(0, demo.ExitCode);
    }
}
