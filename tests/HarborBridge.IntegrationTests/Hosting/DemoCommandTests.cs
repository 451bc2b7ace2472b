using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using HarborBridge.Demo;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Signing;
using Xunit.Abstractions;

namespace HarborBridge.IntegrationTests.Hosting;

/// <summary>
/// <c>harborbridge demo</c> as the README's quick start has a new user run it: the built executable in its own process,
/// with the real docker-registry it starts itself. What it prints is read back as a user reads it, and checked against
/// the running system: the three outcomes through the admin API with the printed token, the printed verify command,
/// a request without the token refused, and Ctrl+C (SIGINT) leaving no process and no folder behind.
/// </summary>
public sealed class DemoCommandTests(ITestOutputHelper output)
{
    /// <summary>The brief's bound for the whole loop ("within two minutes") plus room for a loaded CI machine.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(45);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Demo_ThreeImagesDecided_TokenOpensTheApi_VerifyPasses_CtrlCLeavesNothingBehind()
    {
        RequireDockerRegistry();
        await using var demo = DemoProcess.Start();
        var clock = Stopwatch.StartNew();
        Assert.True(await demo.WaitForOutputAsync("Press Ctrl+C", Patience), "the demo did not get ready within 3 min:\n" + demo.Output);
        output.WriteLine($"demo ready and all decided after {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(demo.Output);

        var pushed = demo.Pushed;
        Assert.Equal(["clean", "critical", "high"], pushed.Keys.Order());
        Assert.True(Directory.Exists(demo.Folder), $"the printed folder {demo.Folder} does not exist");
        Assert.True(DemoProcess.IsRunning(demo.RegistryPid), "the printed docker-registry PID is not running");

        // The outcomes through the admin API with the printed token, independently of what the demo printed about them.
        // The demo's reports (src/HarborBridge/Demo/reports, read by hand): high.json 1 High + 1 Low, critical.json
        // 1 Critical + 1 High; the demo's policy blocks CRITICAL and warns on HIGH.
        using var http = new HttpClient { BaseAddress = demo.ServiceUrl, Timeout = TimeSpan.FromSeconds(15) };
        var clean = await DecidedAsync(http, demo.Token, pushed["clean"].Digest);
        var high = await DecidedAsync(http, demo.Token, pushed["high"].Digest);
        var critical = await DecidedAsync(http, demo.Token, pushed["critical"].Digest);

        Assert.Equal("Approved", State(clean));
        Assert.Equal("Pass", Verdict(clean));
        Assert.NotEmpty(clean.GetProperty("signatures").EnumerateArray());

        Assert.Equal("Warned", State(high));
        Assert.Equal("Warn", Verdict(high));
        Assert.Contains(Findings(high), f => f.Id == "CVE-2023-44487" && f.Severity == "HIGH" && f.Outcome == "Warn");
        Assert.NotEmpty(high.GetProperty("signatures").EnumerateArray());

        Assert.Equal("Quarantined", State(critical));
        Assert.Equal("Block", Verdict(critical));
        Assert.Contains(Findings(critical), f => f.Id == "CVE-2021-44228" && f.Severity == "CRITICAL" && f.Outcome == "Block");

        // The token is what opens the API: none or a wrong one is refused.
        using (var anonymous = await http.GetAsync($"api/v1/artifacts/{pushed["clean"].Digest}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "api/v1/artifacts"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", new string('0', demo.Token.Length));
            using var refused = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The printed verify command, run as printed with the printed exports: the signed image verifies...
        var verify = demo.Command("verify");
        var (verified, verifyOutput) = await ToolProcess.RunAsync(verify[0], verify.Skip(1), demo.Folder, demo.Exports);
        Assert.True(verified == 0, "the printed verify command failed:\n" + verifyOutput);
        Assert.Contains(pushed["clean"].Digest, verifyOutput, StringComparison.Ordinal);

        // ...and the quarantined one does not (its signature is not there).
        string[] quarantinedVerify = [.. verify.Skip(1).Select(a => a.StartsWith(pushed["clean"].Repository, StringComparison.Ordinal)
            ? $"{pushed["critical"].Repository}@{pushed["critical"].Digest}" : a)];
        var (unverified, unverifiedOutput) = await ToolProcess.RunAsync(verify[0], quarantinedVerify, demo.Folder, demo.Exports);
        Assert.True(unverified == 1, "verify of the quarantined image did not exit 1:\n" + unverifiedOutput);

        // Ctrl+C: exit 0, docker-registry and every other child process gone, the folder gone.
        var registryPid = demo.RegistryPid;
        var children = demo.Children();
        Assert.Contains(registryPid, children);
        var folder = demo.Folder;
        var stopping = Stopwatch.StartNew();
        Assert.True(await demo.SignalAndWaitAsync("INT", StopBound), $"the demo did not exit within {StopBound} of SIGINT:\n" + demo.Output);
        output.WriteLine($"exited {stopping.Elapsed.TotalSeconds:F1} s after SIGINT");
        Assert.Equal(0, demo.ExitCode);
        Assert.False(DemoProcess.IsRunning(registryPid), $"docker-registry (pid {registryPid}) still runs after the demo stopped");
        Assert.DoesNotContain(children, DemoProcess.IsRunning);
        Assert.False(Directory.Exists(folder), $"{folder} is still there after the demo stopped");
        Assert.DoesNotContain("   at ", demo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_Sigterm_StopsEverything_KeepLeavesTheFolder()
    {
        RequireDockerRegistry();
        await using var demo = DemoProcess.Start("--keep");
        Assert.True(await demo.WaitForOutputAsync("Waiting for the decisions", Patience), "the demo did not push its images within 3 min:\n" + demo.Output);
        var registryPid = demo.RegistryPid;
        var folder = demo.Folder;

        Assert.True(await demo.SignalAndWaitAsync("TERM", StopBound), $"the demo did not exit within {StopBound} of SIGTERM:\n" + demo.Output);

        Assert.Equal(0, demo.ExitCode);
        Assert.False(DemoProcess.IsRunning(registryPid), $"docker-registry (pid {registryPid}) still runs after the demo stopped");
        Assert.True(File.Exists(Path.Combine(folder, "cosign.pub")), "--keep did not keep the folder");
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Demo_RegistryNotInstalled_Exit1WithTheInstallLine()
    {
        await using var demo = DemoProcess.Start("--registry-binary", "/nonexistent/docker-registry");

        Assert.True(await demo.WaitForOutputAsync("apt-get install docker-registry", TimeSpan.FromSeconds(60)), "no install hint:\n" + demo.Output);
        Assert.True(await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the demo did not exit");
        Assert.Equal(1, demo.ExitCode);
        Assert.DoesNotContain("Demo folder", demo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", demo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_PortInUse_Exit1NamingThePort_StopsWhatItStarted()
    {
        RequireDockerRegistry();
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var demo = DemoProcess.Start("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(await demo.WaitForExitAsync(Patience), "the demo did not give up on a port in use:\n" + demo.Output);

        Assert.Equal(1, demo.ExitCode);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", demo.Output, StringComparison.Ordinal);
        Assert.Contains("choose another --port", demo.Output, StringComparison.Ordinal);
        Assert.False(DemoProcess.IsRunning(demo.RegistryPid), "docker-registry still runs after the demo gave up");
        Assert.False(Directory.Exists(demo.Folder), $"{demo.Folder} is still there after the demo gave up");
        Assert.DoesNotContain("   at ", demo.Output, StringComparison.Ordinal);
    }

    /// <summary>docker-registry is part of the test set-up (tests/run.sh starts one): missing, the test fails, in CI and locally.</summary>
    internal static void RequireDockerRegistry() =>
        Assert.True(DemoRegistry.Find(DemoRegistry.DefaultBinary) is not null,
            $"docker-registry is not installed; the demo tests need it (CI={Environment.GetEnvironmentVariable("CI")}): {DemoRegistry.InstallHint}");

    /// <summary>Polls the artifact with the token until it is in a decided state (≤ 3 min).</summary>
    internal static async Task<JsonElement> DecidedAsync(HttpClient http, string token, string digest)
    {
        JsonElement detail = default;
        var decided = await TestEnvironment.EventuallyAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/artifacts/{digest}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return detail.GetProperty("artifacts").GetArrayLength() > 0 && State(detail) is "Approved" or "Warned" or "Quarantined" or "ScanFailed"
                && (State(detail) == "Quarantined" || detail.GetProperty("signatures").GetArrayLength() > 0);
        }, Patience);
        Assert.True(decided, $"{digest} was not decided within {Patience}; last seen: {detail}");
        return detail;
    }

    private static string? State(JsonElement detail) => detail.GetProperty("artifacts")[0].GetProperty("state").GetString();

    private static string? Verdict(JsonElement detail) => detail.GetProperty("decisions").EnumerateArray().Last().GetProperty("verdict").GetString();

    private static List<Contracts.DecidingFinding> Findings(JsonElement detail) =>
        detail.GetProperty("decisions").EnumerateArray().Last().GetProperty("findings").Deserialize<List<Contracts.DecidingFinding>>(Json)!;
}
