using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HarborBridge.Demo;

/// <summary>
/// The demo's own <c>docker-registry</c> child process (Debian package <c>docker-registry</c>, CNCF distribution 2.8):
/// plain HTTP on a free 127.0.0.1 port, storage and config inside the demo folder. Stopped by its PID.
/// </summary>
internal sealed class DemoRegistry : IAsyncDisposable
{
    public const string DefaultBinary = "docker-registry";
    public const string InstallHint = "sudo apt-get install docker-registry";

    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private DemoRegistry(Process process, int port, Task<string> stderr)
    {
        _process = process;
        Port = port;
        _stderr = stderr;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    /// <summary><c>127.0.0.1:port</c>, the address the Harbor simulator forwards <c>/v2/</c> to.</summary>
    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The executable to run: <paramref name="binary"/> as given when it holds a '/', else looked up on PATH
    /// (Debian installs it as /usr/bin/docker-registry). Null when there is none.</summary>
    public static string? Find(string binary)
    {
        if (binary.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(binary) ? Path.GetFullPath(binary) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, binary))
            .Concat([Path.Combine("/usr/bin", binary)])
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Writes the registry's config into <paramref name="directory"/>, starts it and waits until <c>/v2/</c> answers.</summary>
    public static async Task<DemoRegistry> StartAsync(string executable, string directory, HttpClient http, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var config = Path.Combine(directory, "registry.yml");
        var storage = Path.Combine(directory, "registry-data");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {storage}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            """, cancellationToken);

        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        var process = Process.Start(start) ?? throw new DemoException($"{executable} did not start.");
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var registry = new DemoRegistry(process, port, process.StandardError.ReadToEndAsync(CancellationToken.None));
        try
        {
            await registry.WaitUntilServingAsync(http, cancellationToken);
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilServingAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartPatience)
        {
            if (_process.HasExited)
            {
                var stderr = await _stderr;
                throw new DemoException($"docker-registry exited with code {_process.ExitCode.ToString(CultureInfo.InvariantCulture)} at start: " +
                    (stderr.Length > 800 ? stderr[^800..] : stderr).Trim());
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://{Address}/v2/"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // one attempt timed out
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new DemoException($"docker-registry did not answer on http://{Address}/v2/ within {StartPatience.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}

/// <summary>A problem the demo explains in one message (no stack trace).</summary>
internal sealed class DemoException(string message) : Exception(message);
