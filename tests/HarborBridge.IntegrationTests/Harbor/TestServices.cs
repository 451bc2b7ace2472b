using System.Diagnostics;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>The real services tests/run.sh starts. A missing variable fails the test with a clear message.</summary>
internal static class TestServices
{
    /// <summary>host:port of a docker-registry 2.8.</summary>
    public static string Registry => Infrastructure.TestEnvironment.Require("HB_TEST_REGISTRY");

    /// <summary>Path of skopeo 1.18 (sigstore-enabled).</summary>
    public static string Skopeo => Infrastructure.TestEnvironment.Require("HB_TEST_SKOPEO");

    public static CancellationToken Timeout(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Runs skopeo with a permissive policy file; returns exit code and output. Bounded in time.</summary>
    public static async Task<(int ExitCode, string Output)> SkopeoAsync(string workDir, CancellationToken cancellationToken, params string[] args)
    {
        var policy = Path.Combine(workDir, "policy.json");
        await File.WriteAllTextAsync(policy, """{"default":[{"type":"insecureAcceptAnything"}]}""", cancellationToken);
        var start = new ProcessStartInfo(Skopeo) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--policy");
        start.ArgumentList.Add(policy);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = workDir;
        start.Environment["REGISTRY_AUTH_FILE"] = Path.Combine(workDir, "auth.json");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
