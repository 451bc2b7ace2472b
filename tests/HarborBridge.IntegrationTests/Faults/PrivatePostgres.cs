using System.Diagnostics;
using System.Globalization;
using HarborBridge.IntegrationTests.Infrastructure;

namespace HarborBridge.IntegrationTests.Faults;

/// <summary>A PostgreSQL server of one test (initdb + postgres from /usr/lib/postgresql/*/bin, as the postgres user when
/// running as root, like tests/run.sh), so that restarting it does not touch the shared one.</summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory;
    private readonly string _bin;
    private Process? _server;

    private PrivatePostgres(string directory, string bin, int port)
    {
        _directory = directory;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres";

    private string Data => Path.Combine(_directory, "data");

    public static async Task<PrivatePostgres> StartNewAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "postgres")))
            .OrderBy(b => b, StringComparer.Ordinal).LastOrDefault() ?? throw new InvalidOperationException("No PostgreSQL under /usr/lib/postgresql; run the tests with tests/run.sh.");
        var directory = Path.Combine(TestEnvironment.Require("HB_TEST_WORK"), "pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var server = new PrivatePostgres(directory, bin, TestEnvironment.FreePorts());
        if (AsRoot)
        {
            await TestEnvironment.RunAsync("chown", ["postgres:postgres", directory], Timeout);
        }

        await server.RunAsync("initdb", ["-D", server.Data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        await server.StartAsync();
        return server;
    }

    private static bool AsRoot => Environment.UserName == "root";

    private Task<string> RunAsync(string tool, string[] args) => AsRoot
        ? TestEnvironment.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args], Timeout)
        : TestEnvironment.RunAsync(Path.Combine(_bin, tool), args, Timeout);

    public async Task StartAsync()
    {
        string[] args = ["-D", Data, "-p", Port.ToString(CultureInfo.InvariantCulture), "-k", _directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"];
        var start = AsRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", Path.Combine(_bin, "postgres"), .. args]) : new ProcessStartInfo(Path.Combine(_bin, "postgres"), args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _server = Process.Start(start)!;
        _ = _server.StandardOutput.ReadToEndAsync();
        _ = _server.StandardError.ReadToEndAsync();
        var ready = await TestEnvironment.EventuallyAsync(async () =>
        {
            try
            {
                await RunAsync("pg_isready", ["-q", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture)]);
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }, Timeout);
        Assert.True(ready, $"private PostgreSQL on port {Port} did not start");
    }

    /// <summary>A fast shutdown (clients disconnected, no data lost), as a restart by an operator does.</summary>
    public async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        await RunAsync("pg_ctl", ["-D", Data, "stop", "-m", "fast", "-w"]);
        using var limit = new CancellationTokenSource(Timeout);
        await _server.WaitForExitAsync(limit.Token);
        _server.Dispose();
        _server = null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            _server?.Kill(entireProcessTree: true);
        }
    }
}
