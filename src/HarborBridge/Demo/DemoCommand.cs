using System.CommandLine;
using System.Runtime.InteropServices;

namespace HarborBridge.Demo;

/// <summary><c>harborbridge demo [--port N] [--keep] [--registry-binary PATH]</c>: the whole loop on 127.0.0.1 in two
/// minutes, without a Harbor (<see cref="DemoSession"/>). Ctrl+C or SIGTERM stops everything it started; exit 0.</summary>
internal static class DemoCommand
{
    public const string Name = "demo";

    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "Port of the service and its dashboard on 127.0.0.1 (default: a free port).",
            DefaultValueFactory = _ => 0,
        };
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                r.AddError("--port must be between 0 and 65535 (0: a free port).");
            }
        });
        var keep = new Option<bool>("--keep") { Description = "Keep the demo folder (database, key, registry data) after stopping." };
        var registry = new Option<string>("--registry-binary")
        {
            Description = "The docker-registry executable (default: docker-registry on PATH, Debian package docker-registry).",
            DefaultValueFactory = _ => DemoRegistry.DefaultBinary,
        };
        var command = new Command(Name, "Start a local demo on 127.0.0.1: docker-registry, a Harbor simulator in front of it and HarborBridge " +
            "(in-memory queue, SQLite) with a throwaway signing key and admin token; push three images (clean, high, critical) and show " +
            "their outcomes (signed, warned and signed, quarantined). Prints the dashboard URL and commands to try. Ctrl+C stops " +
            "everything and removes the temporary folder. Exit 0 after a stop, 1 when it cannot start (e.g. docker-registry missing).")
        {
            port, keep, registry,
        };
        command.SetAction(async (parseResult, _) =>
        {
            if (OperatingSystem.IsWindows())
            {
                await Console.Error.WriteLineAsync("error: the demo runs on Linux (it starts Debian's docker-registry); on Windows use WSL.");
                return 1;
            }

            // CliApp runs this verb without System.CommandLine's signal handling (it would end the process 2 s after
            // Ctrl+C, before the hosts and the registry are stopped): the demo owns SIGINT and SIGTERM.
            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            return await DemoSession.RunAsync(
                new DemoSettings(parseResult.GetValue(port), parseResult.GetValue(keep), parseResult.GetValue(registry)!),
                Console.Out, Console.Error, stop.Token);

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        });
        return command;
    }
}
