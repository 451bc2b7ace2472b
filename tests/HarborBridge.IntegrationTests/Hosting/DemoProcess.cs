using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HarborBridge.LoadDriver;

namespace HarborBridge.IntegrationTests.Hosting;

/// <summary>
/// The built <c>harborbridge demo</c> as a user runs it (<c>dotnet harborbridge.dll demo</c>, its own process), and what it
/// printed, read the way a user reads it: the folder, the registry's PID, the dashboard URL with the token, the three
/// pushed references and the commands to try.
/// </summary>
internal sealed partial class DemoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _reading;

    private DemoProcess(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(ReadAsync(process.StandardOutput), ReadAsync(process.StandardError));
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Folder => Match(FolderLine()).Groups[1].Value;

    public int RegistryPid => int.Parse(Match(RegistryLine()).Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>The dashboard address as printed, with <c>#token=…</c>.</summary>
    public string DashboardUrl => Match(DashboardLine()).Groups[0].Value;

    public Uri ServiceUrl => new(Match(DashboardLine()).Groups[1].Value);

    public string Token => Match(DashboardLine()).Groups[2].Value;

    /// <summary>repository (clean, high, critical) → (reference host/demo/repo, digest).</summary>
    public IReadOnlyDictionary<string, (string Repository, string Digest)> Pushed =>
        PushedLine().Matches(Output).ToDictionary(m => m.Groups[2].Value, m => (m.Groups[1].Value, m.Groups[3].Value));

    /// <summary>A printed command line starting with <paramref name="verb"/> after the executable, split into words.</summary>
    public IReadOnlyList<string> Command(string verb) =>
        Output.Split('\n').Select(l => l.Trim()).First(l => l.Contains($" {verb} ", StringComparison.Ordinal) && l.Contains("harborbridge", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>NAME=value pairs of the printed <c>export</c> line.</summary>
    public IReadOnlyDictionary<string, string> Exports =>
        Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("export ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static DemoProcess Start(params string[] arguments)
    {
        // Started as a user's terminal starts it: with SIGINT and SIGQUIT at their default. A job a non-interactive shell
        // runs in the background (CI runners, `tests/run.sh &`) inherits both as ignored, and .NET then leaves an ignored
        // SIGINT ignored, so Ctrl+C would never reach the demo. python3 resets them and execs dotnet (same PID).
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGQUIT, signal.SIG_DFL); "
            + "os.execvp('dotnet', ['dotnet'] + sys.argv[1:])");
        start.ArgumentList.Add(ServeProcess.DefaultDll);
        start.ArgumentList.Add("demo");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return new DemoProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Waits until the demo printed <paramref name="text"/> (true) or exited or the time ran out (false).</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                await _reading;
                return Output.Contains(text, StringComparison.Ordinal);
            }

            await Task.Delay(200);
        }

        return false;
    }

    /// <summary>Sends <paramref name="signal"/> (INT as Ctrl+C does, or TERM) and waits up to <paramref name="timeout"/>
    /// for the exit; true when it exited by itself.</summary>
    public async Task<bool> SignalAndWaitAsync(string signal, TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(timeout);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the exit; true when it exited.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            await _reading;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Whether a process with this PID is running (a zombie, exited but not reaped, counts as gone).</summary>
    public static bool IsRunning(int pid)
    {
        var status = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status";
        try
        {
            return !File.ReadLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>PIDs of the processes whose parent is the demo (read from /proc/PID/status).</summary>
    public IReadOnlyList<int> Children()
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var parent = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
                if (parent is not null && int.Parse(parent["PPid:".Length..].Trim(), CultureInfo.InvariantCulture) == _process.Id)
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // exited meanwhile
            }
        }

        return children;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private Match Match(Regex pattern)
    {
        var match = pattern.Match(Output);
        return match.Success ? match : throw new InvalidOperationException($"the demo did not print {pattern}; it printed:\n{Output}");
    }

    [GeneratedRegex(@"^Demo folder: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex FolderLine();

    [GeneratedRegex(@"docker-registry \(pid (\d+)\)")]
    private static partial Regex RegistryLine();

    [GeneratedRegex(@"(http://127\.0\.0\.1:\d+/)#token=([0-9a-f]+)")]
    private static partial Regex DashboardLine();

    [GeneratedRegex(@"^\s+(127\.0\.0\.1:\d+/demo/(\w+)):[\w.]+@(sha256:[0-9a-f]{64})", RegexOptions.Multiline)]
    private static partial Regex PushedLine();
}
