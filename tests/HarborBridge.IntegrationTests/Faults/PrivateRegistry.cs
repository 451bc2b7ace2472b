using System.Diagnostics;
using System.Globalization;
using HarborBridge.IntegrationTests.Infrastructure;

namespace HarborBridge.IntegrationTests.Faults;

/// <summary>A docker-registry process of one test, so that taking it down does not touch the shared one. Its storage
/// stays across <see cref="StopAsync"/> / <see cref="StartAsync"/>, as a restarted registry's would.</summary>
internal sealed class PrivateRegistry : IAsyncDisposable
{
    private readonly string _config;
    private Process? _process;

    private PrivateRegistry(string directory, int port)
    {
        Port = port;
        _config = Path.Combine(directory, "config.yml");
        File.WriteAllText(_config, $"""
            version: 0.1
            log: {"{"} level: warn {"}"}
            storage:
              filesystem: {"{"} rootdirectory: {Path.Combine(directory, "data")} {"}"}
              delete: {"{"} enabled: true {"}"}
            http:
              addr: 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            """);
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<PrivateRegistry> StartNewAsync()
    {
        var directory = Path.Combine(TestEnvironment.Require("HB_TEST_WORK"), "registry-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var registry = new PrivateRegistry(directory, TestEnvironment.FreePorts());
        await registry.StartAsync();
        return registry;
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(_config);
        _process = Process.Start(start)!;
        _ = _process.StandardOutput.ReadToEndAsync();
        _ = _process.StandardError.ReadToEndAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 80; i++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{Address}/v2/"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        throw new InvalidOperationException($"docker-registry on {Address} did not start within 20 s");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
