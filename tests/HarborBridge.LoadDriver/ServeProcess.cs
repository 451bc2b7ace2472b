using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HarborBridge.LoadDriver;

/// <summary>A <c>harborbridge serve</c> child process (the built executable, run with <c>dotnet harborbridge.dll</c>), its
/// output in a log file, its memory read from <c>/proc/PID/status</c>.</summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _output;

    private ServeProcess(Process process, Uri url, string logFile, Task output)
    {
        _process = process;
        Url = url;
        LogFile = logFile;
        _output = output;
    }

    public Uri Url { get; }

    public string LogFile { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>harborbridge.dll next to this assembly (a project reference copies it), or HB_SERVE_DLL.</summary>
    /// <summary>Environment variables of the driver starting with this prefix are given to serve without it.</summary>
    public const string ServeEnvironmentPrefix = "LOADDRIVER_SERVE_";

    public static string DefaultDll => Environment.GetEnvironmentVariable("HB_SERVE_DLL") is { Length: > 0 } dll
        ? dll
        : Path.Combine(AppContext.BaseDirectory, "harborbridge.dll");

    /// <summary>Starts serve on a free loopback port with <paramref name="settings"/> as <c>HarborBridge__…</c>
    /// environment variables (keys written with ':'), and waits until /readyz says healthy.</summary>
    public static async Task<ServeProcess> StartAsync(
        IReadOnlyDictionary<string, string> settings, string roles, string logFile, TimeSpan readyTimeout, CancellationToken cancellationToken, int port = 0)
    {
        port = port == 0 ? FreePort() : port;
        var url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(logFile)!,
        };
        foreach (var arg in new[] { DefaultDll, "serve", "--roles", roles, "--urls", url.ToString() })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // For profiling serve alone: LOADDRIVER_SERVE_DOTNET_PerfMapEnabled=1 reaches serve as DOTNET_PerfMapEnabled=1.
        foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, (string?)e.Value ?? ""))
                     .Where(e => e.Item1.StartsWith(ServeEnvironmentPrefix, StringComparison.Ordinal)))
        {
            start.Environment[key[ServeEnvironmentPrefix.Length..]] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var output = Task.WhenAll(CopyAsync(process.StandardOutput, log), CopyAsync(process.StandardError, log))
            .ContinueWith(_ => log.Dispose(), TaskScheduler.Default);
        var serve = new ServeProcess(process, url, logFile, output);
        if (!await serve.WaitReadyAsync(readyTimeout, cancellationToken))
        {
            await serve.DisposeAsync();
            throw new InvalidOperationException($"serve did not become ready within {readyTimeout}; see {logFile}");
        }

        return serve;
    }

    private static async Task CopyAsync(StreamReader reader, StreamWriter log)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    /// <summary>Polls /readyz until it answers 200 (broker, database and Harbor reachable).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = Http.Client();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !_process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/readyz"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    /// <summary>VmHWM (peak resident set) and VmRSS (current), in bytes.</summary>
    public (long Peak, long Current) Memory()
    {
        long peak = 0, current = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                current = Kilobytes(line);
            }
        }

        return (peak, current);

        static long Kilobytes(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>CPU time (user + system) the process has used so far, from <c>/proc/PID/stat</c>.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/stat");
        // Fields after the command name (which may hold spaces) start at state; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    /// <summary>SIGKILL: no shutdown at all, as when a node dies.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _output;
    }

    /// <summary>SIGTERM, then waits up to <paramref name="timeout"/>; true when it exited by itself in time.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            await _output;
            return true;
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await TerminateAsync(TimeSpan.FromSeconds(15));
        _process.Dispose();
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
