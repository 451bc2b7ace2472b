using System.Diagnostics;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// @sigstore/mock's Fulcio and Rekor over HTTP on 127.0.0.1 (tests/tools/sigstore-mock-servers.js) with the trusted
/// root that matches their keys. Started once per test class, stopped by its PID.
/// </summary>
public sealed class SigstoreMockServers : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;

    public SigstoreMockServers()
    {
        NodeModules = Infrastructure.TestEnvironment.Require("HB_TEST_SIGSTORE_JS");
        Tools = Infrastructure.TestEnvironment.Require("HB_TEST_TOOLS");
        var parent = Environment.GetEnvironmentVariable("HB_TEST_WORK") is { Length: > 0 } work ? work : Path.GetTempPath();
        Work = Path.Combine(parent, "sigstore-mock-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Work);
        TrustedRoot = Path.Combine(Work, "trusted_root.json");
        var portFile = Path.Combine(Work, "port");

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Work,
        };
        start.ArgumentList.Add(Path.Combine(Tools, "sigstore-mock-servers.js"));
        start.ArgumentList.Add(portFile);
        start.ArgumentList.Add(TrustedRoot);
        start.Environment["NODE_PATH"] = NodeModules;
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node sigstore-mock-servers.js");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => Errors += e.Data + "\n";
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!File.Exists(portFile) || new FileInfo(portFile).Length == 0)
        {
            if (_process.HasExited || deadline.Elapsed > StartTimeout)
            {
                Dispose();
                throw new InvalidOperationException(
                    $"sigstore-mock-servers.js did not start within {StartTimeout.TotalSeconds} s: {Errors}");
            }

            Thread.Sleep(100);
        }

        BaseUrl = "http://127.0.0.1:" + File.ReadAllText(portFile).Trim();
    }

    public string BaseUrl { get; } = "";

    public string TrustedRoot { get; }

    public string NodeModules { get; }

    public string Tools { get; }

    public string Work { get; }

    private string Errors { get; set; } = "";

    /// <summary>An unsigned JWT (<c>"alg":"none"</c>): the mock Fulcio decodes it without verifying, as interop-tools.md describes.</summary>
    public static string FakeToken(string issuer, string subject)
    {
        static string Part(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("""{"alg":"none","typ":"JWT"}""") + "."
            + Part($$"""{"iss":"{{issuer}}","sub":"{{subject}}","aud":"sigstore","exp":4102444800}""") + "."
            + Part("unsigned");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        if (Directory.Exists(Work))
        {
            Directory.Delete(Work, recursive: true);
        }
    }
}
