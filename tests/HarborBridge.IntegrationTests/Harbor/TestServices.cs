using System.Diagnostics;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>The real services tests/run.sh starts. A missing variable fails the test with a clear message.</summary>
internal static class TestServices
{
    public static string Registry => Require("HB_TEST_REGISTRY", "host:port of a docker-registry 2.8");

    public static string Skopeo => Require("HB_TEST_SKOPEO", "path of skopeo");

    public static CancellationToken Timeout(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static string Require(string name, string what)
    {
        var value = Environment.GetEnvironmentVariable(name);
        Assert.False(string.IsNullOrWhiteSpace(value), $"{name} is not set ({what}). Run the tests with tests/run.sh, which starts the services and sets it.");
        return value!;
    }

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
