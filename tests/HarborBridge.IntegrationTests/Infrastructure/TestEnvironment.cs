using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>Addresses of the real services that tests/run.sh starts. A missing one fails the test
/// (never skips it), with a message that says how to run the tests.</summary>
internal static class TestEnvironment
{
    public static string Require(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException(
                $"{name} is not set. Integration tests need the services that tests/run.sh starts; run them with tests/run.sh.")
            : value;
    }

    public static string FixturePath(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>First port of a run of <paramref name="span"/> free loopback ports, below Linux's ephemeral range
    /// (32768 and up): a client reconnecting to a stopped service's port in that range can be given that very port as
    /// its own source port (a TCP self-connect), and the service then cannot listen on it again when it restarts
    /// (RabbitMQ's eaddrinuse in CI stop 25).</summary>
    public static int FreePorts(int span = 1)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = Random.Shared.Next(20000, 32700);
            var listeners = new List<TcpListener>();
            try
            {
                for (var p = start; p < start + span; p++)
                {
                    var l = new TcpListener(IPAddress.Loopback, p);
                    l.Start();
                    listeners.Add(l);
                }

                return start;
            }
            catch (SocketException)
            {
            }
            finally
            {
                listeners.ForEach(l => l.Stop());
            }
        }

        throw new InvalidOperationException("No free port range on 127.0.0.1.");
    }

    /// <summary>Runs a tool script and returns its output; throws with the output when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}.");
        }

        var output = await stdout + await stderr;
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {output}");
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }
}
