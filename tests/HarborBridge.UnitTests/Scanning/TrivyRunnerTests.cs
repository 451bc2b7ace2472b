using System.Diagnostics;
using HarborBridge.Contracts;
using HarborBridge.Harbor;
using HarborBridge.Scanning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Scanning;

/// <summary>The direct Trivy runner against stand-in executables (Trivy itself cannot be installed here): one that
/// prints a real Trivy report, one that fails, one that hangs.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TrivyRunnerTests : IDisposable
{
    private const string Password = "robot-SECRET-for-trivy";
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('a', 64));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-trivy-" + Guid.NewGuid().ToString("N"));

    public TrivyRunnerTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string StandIn(string body)
    {
        var path = Path.Combine(_directory, "trivy-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static TrivyRunner Runner(string path, TimeSpan? timeout = null, int maxBytes = 1024 * 1024) => new(
        Options.Create(new TrivyOptions { Enabled = true, Path = path, Timeout = timeout ?? TimeSpan.FromSeconds(30), MaxReportBytes = maxBytes }),
        Options.Create(new HarborOptions { Url = "https://harbor.example.test:8443", Username = "robot$bridge", Password = Password }),
        NullLogger<TrivyRunner>.Instance);

    [Fact]
    public async Task ScanAsync_TrivyPrintsReport_ReturnsItAndPassesCredentialsOnlyInTheEnvironment()
    {
        var report = Fixtures.PathOf("policy", "trivy", "alpine-39.json.golden");
        var args = Path.Combine(_directory, "args");
        var env = Path.Combine(_directory, "env");
        var path = StandIn($"printf '%s\\n' \"$@\" > '{args}'\nenv > '{env}'\ncat '{report}'");

        var bytes = await Runner(path).ScanAsync(Artifact, default);

        Assert.Equal(await File.ReadAllBytesAsync(report), bytes);
        var argv = await File.ReadAllLinesAsync(args);
        Assert.Equal(["image", "--format", "json", "--quiet", "--timeout", "30s", "harbor.example.test:8443/payments/team/api@" + Artifact.Digest], argv);
        Assert.DoesNotContain(argv, a => a.Contains(Password, StringComparison.Ordinal));
        var environment = await File.ReadAllLinesAsync(env);
        Assert.Contains($"TRIVY_PASSWORD={Password}", environment);
        Assert.Contains("TRIVY_USERNAME=robot$bridge", environment);
    }

    [Fact]
    public async Task ScanAsync_ServiceHoldsSecretsInItsEnvironment_TrivySeesNoneOfThem()
    {
        // The way an operator passes HarborBridge's secrets (README: environment variables), each with a marker.
        string[] secrets =
        [
            "HarborBridge__Admin__Token", "HarborBridge__Signing__KeyPassword", "HarborBridge__Harbor__Password",
            "HarborBridge__Webhook__AuthHeader", "HarborBridge__Notifications__Channels__ops__Password", "COSIGN_PASSWORD",
        ];
        foreach (var name in secrets)
        {
            Environment.SetEnvironmentVariable(name, "env-SECRET-" + name);
        }

        Environment.SetEnvironmentVariable("HTTPS_PROXY", "http://proxy.example.test:3128");
        try
        {
            var report = Fixtures.PathOf("policy", "trivy", "alpine-39.json.golden");
            var env = Path.Combine(_directory, "env");
            var path = StandIn($"env > '{env}'\ncat '{report}'");

            await Runner(path).ScanAsync(Artifact, default);

            var environment = await File.ReadAllLinesAsync(env);
            Assert.DoesNotContain(environment, line => line.Contains("env-SECRET", StringComparison.Ordinal));
            Assert.DoesNotContain(environment, line => line.StartsWith("HarborBridge", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("HTTPS_PROXY=http://proxy.example.test:3128", environment);
            Assert.Contains(environment, line => line.StartsWith("PATH=", StringComparison.Ordinal));
            Assert.Contains($"TRIVY_PASSWORD={Password}", environment);
        }
        finally
        {
            foreach (var name in secrets)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            Environment.SetEnvironmentVariable("HTTPS_PROXY", null);
        }
    }

    [Fact]
    public async Task ScanAsync_CacheLockTimesOut_ThrowsCacheBusyNotAScanFailure()
    {
        // Trivy's own wording when BoltDB's flock times out (aquasecurity/trivy#650).
        var path = StandIn("echo 'FATAL init error: cache may be in use by another process: timeout' >&2\nexit 1");

        var e = await Assert.ThrowsAsync<TrivyCacheBusyException>(() => Runner(path).ScanAsync(Artifact, default));

        Assert.Contains("HarborBridge:Trivy:CacheDir", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScanAsync_ManyAtOnce_OneTrivyRunsAtATimeAndCacheDirIsPassed()
    {
        var report = Fixtures.PathOf("policy", "trivy", "alpine-39.json.golden");
        var lockDir = Path.Combine(_directory, "lock");
        var overlaps = Path.Combine(_directory, "overlaps");
        var args = Path.Combine(_directory, "args");
        // mkdir is atomic: a second run that starts while the first holds the folder records an overlap.
        var path = StandIn($"printf '%s\\n' \"$@\" > '{args}'\nmkdir '{lockDir}' 2>/dev/null || echo overlap >> '{overlaps}'\nsleep 0.2\nrmdir '{lockDir}' 2>/dev/null\ncat '{report}'");
        var runner = new TrivyRunner(
            Options.Create(new TrivyOptions { Enabled = true, Path = path, CacheDir = "/var/cache/hb-trivy" }),
            Options.Create(new HarborOptions { Url = "https://harbor.example.test" }),
            NullLogger<TrivyRunner>.Instance);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => runner.ScanAsync(Artifact, default)));

        Assert.False(File.Exists(overlaps), "two trivy processes ran on one cache at the same time");
        var argv = await File.ReadAllLinesAsync(args);
        Assert.Equal("/var/cache/hb-trivy", argv[argv.ToList().IndexOf("--cache-dir") + 1]);
    }

    [Fact]
    public async Task ScanAsync_TrivyExitsNonZero_ThrowsWithItsLastErrorLine()
    {
        var path = StandIn("echo 'INFO starting' >&2\necho 'FATAL image scan error: unauthorized: authentication required' >&2\nexit 1");

        var e = await Assert.ThrowsAsync<TrivyScanException>(() => Runner(path).ScanAsync(Artifact, default));

        Assert.Contains("code 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("unauthorized: authentication required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScanAsync_TrivyHangs_KilledAtTheTimeout()
    {
        var pidFile = Path.Combine(_directory, "pid");
        var path = StandIn($"echo $$ > '{pidFile}'\nsleep 60");
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<TrivyScanException>(() => Runner(path, TimeSpan.FromSeconds(1)).ScanAsync(Artifact, default));

        Assert.Contains("did not finish", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        var pid = int.Parse(await File.ReadAllTextAsync(pidFile), System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(200);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the hanging trivy is still running");
    }

    [Fact]
    public async Task ScanAsync_ReportTooLarge_Throws()
    {
        var path = StandIn("head -c 5000 /dev/zero");

        var e = await Assert.ThrowsAsync<TrivyScanException>(() => Runner(path, maxBytes: 1024).ScanAsync(Artifact, default));

        Assert.Contains("MaxReportBytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScanAsync_ExecutableMissing_ThrowsNamingTheSetting()
    {
        var e = await Assert.ThrowsAsync<TrivyScanException>(() => Runner(Path.Combine(_directory, "no-such-trivy")).ScanAsync(Artifact, default));

        Assert.Contains("HarborBridge:Trivy:Path", e.Message, StringComparison.Ordinal);
    }
}
