using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace HarborBridge.LoadDriver;

/// <summary>Entry point: the load run (default) or the bare baseline endpoint (<c>bare-endpoint</c>, started by the run).</summary>
public static class LoadDriverProgram
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == "bare-endpoint")
        {
            return await BareEndpoint.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "replay-errors")
        {
            return await ErrorQueues.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] is "-h" or "--help")
        {
            Console.WriteLine(LoadSettings.Usage);
            return 0;
        }

        var (settings, error) = LoadSettings.Parse(args);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(LoadSettings.Usage);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            var results = await LoadRun.RunAsync(settings, Console.Out, stop.Token);
            await File.WriteAllTextAsync(settings.Output, JsonSerializer.Serialize(results, Json), stop.Token);
            var table = ResultsTable.Markdown(results);
            var tableFile = Path.ChangeExtension(settings.Output, ".md");
            await File.WriteAllTextAsync(tableFile, table, stop.Token);
            Console.WriteLine();
            Console.WriteLine(table);
            Console.WriteLine($"results: {Path.GetFullPath(settings.Output)}, table: {Path.GetFullPath(tableFile)}");
            var problems = new[] { results.Pipeline, results.ScaleOut?.OneWorker, results.ScaleOut?.TwoWorkers }.Sum(p => p?.Problems.Count ?? 0);
            return problems > 0 ? 1 : 0;
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync("load run failed: " + e.Message);
            return 1;
        }
    }
}

/// <summary>The phases of one run and the results file they fill.</summary>
public static class LoadRun
{
    public static async Task<LoadResults> RunAsync(LoadSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var results = new LoadResults
        {
            StartedAt = TimeProvider.System.GetUtcNow(),
            Machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
            Commit = await GitCommitAsync(),
            Settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["artifacts"] = settings.Artifacts.ToString(CultureInfo.InvariantCulture),
                ["rate"] = settings.Rate.ToString(CultureInfo.InvariantCulture),
                ["mix"] = $"{settings.Mix.Clean}/{settings.Mix.Warned}/{settings.Mix.Blocked}",
                ["scanDelayMs"] = settings.ScanDelay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
                ["latencyMs"] = settings.Latency.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
                ["connections"] = settings.Connections.ToString(CultureInfo.InvariantCulture),
                ["intakeSeconds"] = settings.IntakeDuration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["workers"] = settings.Workers.ToString(CultureInfo.InvariantCulture),
                ["warmUpArtifacts"] = settings.WarmUpArtifacts.ToString(CultureInfo.InvariantCulture),
                ["scaleOutArtifacts"] = settings.ScaleOutArtifacts.ToString(CultureInfo.InvariantCulture),
                ["phases"] = string.Join(',', settings.Phases.Order(StringComparer.Ordinal)),
            },
        };

        if (settings.Phases.Contains("baselines"))
        {
            var vhost = await VirtualHostAsync(settings, "baseline", cancellationToken);
            progress.WriteLine($"raw RabbitMQ publish-with-confirm, {settings.Connections} channels, {settings.IntakeDuration.TotalSeconds} s ...");
            results.RawPublish = await RabbitPublishBaseline.RunAsync(settings.RabbitHost, settings.RabbitPort, vhost, settings.Connections, settings.IntakeDuration, cancellationToken);
            progress.WriteLine($"  {results.RawPublish.PerSecond:F0} msg/s, p99 {results.RawPublish.P99Ms:F1} ms");
            progress.WriteLine("bare ASP.NET Core + MassTransit endpoint ...");
            results.BareEndpoint = await BareEndpointAsync(settings, vhost, cancellationToken);
            progress.WriteLine($"  {results.BareEndpoint.RequestsPerSecond:F0} req/s, p99 {results.BareEndpoint.P99Ms:F1} ms");
        }

        if (settings.Phases.Contains("intake"))
        {
            progress.WriteLine("serve --roles webhook ...");
            results.Intake = await IntakeAsync(settings, cancellationToken);
            progress.WriteLine($"  {results.Intake.Wrk.RequestsPerSecond:F0} req/s, p99 {results.Intake.Wrk.P99Ms:F1} ms, peak RSS {results.Intake.PeakRssMb:F0} MB");
        }

        if (settings.Phases.Contains("pipeline"))
        {
            progress.WriteLine($"pipeline: {settings.Artifacts} artifacts, rate {(settings.Rate > 0 ? settings.Rate.ToString(CultureInfo.InvariantCulture) + "/s" : "unlimited")}, {settings.Workers} worker(s) ...");
            results.Pipeline = await PipelineAsync(settings, new Burst(settings.Artifacts, settings.Rate, settings.Workers, SplitRoles: settings.Workers > 1), progress, cancellationToken);
            Print(results.Pipeline, progress);
        }

        if (settings.Phases.Contains("scaleout"))
        {
            // Same burst, same layout (one webhook+scheduler process), one worker and then two: only the worker count differs.
            progress.WriteLine($"scale-out: {settings.ScaleOutArtifacts} artifacts as fast as they can be pushed, 1 worker ...");
            var one = await PipelineAsync(settings, new Burst(settings.ScaleOutArtifacts, 0, 1, SplitRoles: true), progress, cancellationToken);
            Print(one, progress);
            progress.WriteLine($"scale-out: the same with 2 workers ...");
            var two = await PipelineAsync(settings, new Burst(settings.ScaleOutArtifacts, 0, 2, SplitRoles: true), progress, cancellationToken);
            Print(two, progress);
            results.ScaleOut = new ScaleOutResult(one, two, Ratio(two.DecidedPerSecond, one.DecidedPerSecond), Ratio(two.ActedPerSecond, one.ActedPerSecond));
            progress.WriteLine($"  2 workers / 1 worker: decided × {results.ScaleOut.DecidedRatio:F2}, acted on × {results.ScaleOut.ActedRatio:F2}");
        }

        if (results.BareEndpoint is { } bare && results.Intake is { } intake)
        {
            results.Ratios["intakeToBareEndpoint"] = Math.Round(intake.Wrk.RequestsPerSecond / bare.RequestsPerSecond, 3);
        }

        if (results.RawPublish is { } raw)
        {
            if (results.BareEndpoint is { } b)
            {
                results.Ratios["bareEndpointToRawPublish"] = Math.Round(b.RequestsPerSecond / raw.PerSecond, 3);
            }

            if (results.Intake is { } i)
            {
                results.Ratios["intakeToRawPublish"] = Math.Round(i.Wrk.RequestsPerSecond / raw.PerSecond, 3);
            }
        }

        results.Uptime = await LoadAverageAsync();
        return results;
    }

    private static double Ratio(double a, double b) => b == 0 ? 0 : Math.Round(a / b, 3);

    private static void Print(PipelineResult p, TextWriter progress)
    {
        progress.WriteLine($"  decided {p.DecidedPerSecond:F1}/s, acted {p.ActedPerSecond:F1}/s, push→decision p50 {p.DecisionLatency.P50Ms:F0} p99 {p.DecisionLatency.P99Ms:F0} ms, "
            + $"Harbor calls/artifact {p.HarborCallsPerArtifact:F2}, registry calls/artifact {p.RegistryCallsPerArtifact:F2}, problems {p.Problems.Count}");
        progress.WriteLine($"  CPU per artifact: serve {p.ServeCpuMsPerArtifact:F1} ms, driver+simulator {p.DriverCpuMsPerArtifact:F1} ms");
        if (p.WarmUpArtifacts > 0)
        {
            progress.WriteLine($"  serve CPU per artifact: cold (warm-up, {p.WarmUpArtifacts} artifacts) {p.ColdServeCpuMsPerArtifact:F1} ms, "
                + $"steady (measured window, per artifact decided) {p.SteadyServeCpuMsPerDecided:F1} ms");
        }
    }

    /// <summary>The load averages from /proc/loadavg: timing figures mean little without them.</summary>
    private static async Task<string> LoadAverageAsync()
    {
        try
        {
            return string.Join(' ', (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static async Task<WrkResult> BareEndpointAsync(LoadSettings settings, string vhost, CancellationToken cancellationToken)
    {
        var port = ServeProcess.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "HarborBridge.LoadDriver.dll"), "bare-endpoint", port.ToString(CultureInfo.InvariantCulture),
            settings.RabbitHost, settings.RabbitPort.ToString(CultureInfo.InvariantCulture), vhost,
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/webhooks/harbor");
            await WaitListeningAsync(new Uri(url, "/readyz"), cancellationToken);
            await WrkRunner.RunAsync(url, PipelineRig.AuthHeader, settings.Connections, TimeSpan.FromSeconds(3), cancellationToken); // warm-up
            return await WrkRunner.RunAsync(url, PipelineRig.AuthHeader, settings.Connections, settings.IntakeDuration, cancellationToken);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<IntakeResult> IntakeAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        var vhost = await VirtualHostAsync(settings, "intake", cancellationToken);
        await using var rig = await PipelineRig.StartAsync(Services(settings, vhost), settings.ScanDelay, cancellationToken);
        var log = Path.Combine(rig.Directory, "serve-intake.log");
        await using var serve = await ServeProcess.StartAsync(rig.ServeSettings(), "webhook", log, TimeSpan.FromSeconds(90), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var idle = serve.Memory().Current;
        var url = new Uri(serve.Url, "/webhooks/harbor");
        await WrkRunner.RunAsync(url, PipelineRig.AuthHeader, settings.Connections, TimeSpan.FromSeconds(3), cancellationToken); // warm-up
        var wrk = await WrkRunner.RunAsync(url, PipelineRig.AuthHeader, settings.Connections, settings.IntakeDuration, cancellationToken);
        return new IntakeResult(wrk, Mb(idle), Mb(serve.Memory().Peak));
    }

    /// <summary>One pipeline burst: how many artifacts, at what rate, on how many worker processes; with
    /// <paramref name="SplitRoles"/> the webhook and scheduler roles run in a process of their own.</summary>
    private sealed record Burst(int Artifacts, double Rate, int Workers, bool SplitRoles);

    private static async Task<PipelineResult> PipelineAsync(LoadSettings settings, Burst burst, TextWriter progress, CancellationToken cancellationToken)
    {
        var vhost = await VirtualHostAsync(settings, "pipeline", cancellationToken);
        await using var rig = await PipelineRig.StartAsync(Services(settings, vhost), settings.ScanDelay, cancellationToken);
        rig.Simulator.Faults.Latency = settings.Latency;
        if (!burst.SplitRoles)
        {
            await rig.StartServeAsync("webhook,worker,scheduler", cancellationToken);
        }
        else
        {
            await rig.StartServeAsync("webhook,scheduler", cancellationToken);
            for (var w = 0; w < burst.Workers; w++)
            {
                await rig.StartServeAsync("worker", cancellationToken);
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var idle = rig.Serves.Select(s => Mb(s.Memory().Current)).ToList();
        var (coldCpu, warmUpProblem) = await WarmUpAsync(rig, settings, burst, progress, cancellationToken);
        var callsBefore = rig.HarborBridgeCalls();
        var kinds = settings.Mix.Spread(burst.Artifacts);
        var cpuBefore = rig.Serves.Select(s => s.CpuTime()).ToList();
        var driverCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var burstStart = TimeProvider.System.GetUtcNow();
        var pushed = await rig.PushBurstAsync(kinds, burst.Rate, settings.PushConcurrency, cancellationToken);
        var pushSeconds = clock.Elapsed.TotalSeconds;
        progress.WriteLine($"  pushed {pushed.Count} in {pushSeconds:F1} s; waiting for decisions ...");
        var complete = await rig.WaitUntilActedAsync(pushed, settings.Timeout, cancellationToken);
        var serveCpu = rig.Serves.Select((s, i) => (s.CpuTime() - cpuBefore[i]).TotalMilliseconds).Sum();
        var driverCpu = (Process.GetCurrentProcess().TotalProcessorTime - driverCpuBefore).TotalMilliseconds;
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken); // late duplicates, if any, land now
        var peak = rig.Serves.Select(s => Mb(s.Memory().Peak)).ToList();
        await SaveMetricsAsync(rig.Serves, $"{Path.ChangeExtension(settings.Output, null)}.{burst.Workers.ToString(CultureInfo.InvariantCulture)}w", cancellationToken);
        var callsAfter = rig.HarborBridgeCalls();
        var calls = (Api: callsAfter.Api - callsBefore.Api, Registry: callsAfter.Registry - callsBefore.Registry);
        var outcomes = await rig.Audit.OutcomesAsync(pushed, cancellationToken);
        var problems = PipelineAudit.Problems(outcomes).ToList();
        if (!complete)
        {
            problems.Insert(0, $"not every artifact was acted on within {settings.Timeout}");
        }

        if (warmUpProblem is not null)
        {
            problems.Insert(0, warmUpProblem);
        }

        var decided = pushed.Select(a => (a, At: rig.DecidedAt(a))).Where(x => x.At is not null).ToList();
        var acted = pushed.Select(a => (a, At: rig.ActedAt(a))).Where(x => x.At is not null).ToList();
        var scanMs = settings.ScanDelay.TotalMilliseconds;
        return new PipelineResult(
            burst.Workers,
            rig.Serves.Count,
            pushed.Count,
            pushed.Count / pushSeconds,
            decided.Count,
            acted.Count,
            decided.Count == 0 ? 0 : decided.Count / (decided.Max(x => x.At!.Value) - burstStart).TotalSeconds,
            acted.Count == 0 ? 0 : acted.Count / (acted.Max(x => x.At!.Value) - burstStart).TotalSeconds,
            Latency(decided.Select(x => (x.At!.Value - x.a.PushedAt).TotalMilliseconds).ToList()),
            Latency(decided.Select(x => (x.At!.Value - x.a.PushedAt).TotalMilliseconds - scanMs).ToList()),
            Latency(acted.Select(x => (x.At!.Value - x.a.PushedAt).TotalMilliseconds).ToList()),
            (double)calls.Api / pushed.Count,
            (double)calls.Registry / pushed.Count,
            idle,
            peak,
            problems,
            PipelineAudit.Repeats(outcomes),
            Math.Round(serveCpu / pushed.Count, 1),
            Math.Round(driverCpu / pushed.Count, 1),
            settings.WarmUpArtifacts,
            coldCpu,
            settings.WarmUpArtifacts > 0 && decided.Count > 0 ? Math.Round(serveCpu / decided.Count, 1) : null);
    }

    /// <summary>Sends <see cref="LoadSettings.WarmUpArtifacts"/> artifacts (same mix and rate as the burst) through the serve
    /// processes and waits until all are acted on, so that the burst after it measures the steady state; returns the serve
    /// CPU per warm-up artifact (the cold figure), and a problem when the warm-up did not finish.</summary>
    private static async Task<(double? ColdCpuMs, string? Problem)> WarmUpAsync(PipelineRig rig, LoadSettings settings, Burst burst, TextWriter progress,
        CancellationToken cancellationToken)
    {
        if (settings.WarmUpArtifacts == 0)
        {
            return (null, null);
        }

        var before = rig.Serves.Sum(s => s.CpuTime().TotalMilliseconds);
        var warm = await rig.PushBurstAsync(settings.Mix.Spread(settings.WarmUpArtifacts), burst.Rate, settings.PushConcurrency, cancellationToken);
        var complete = await rig.WaitUntilActedAsync(warm, settings.Timeout, cancellationToken);
        var cold = Math.Round((rig.Serves.Sum(s => s.CpuTime().TotalMilliseconds) - before) / warm.Count, 1);
        progress.WriteLine($"  warm-up: {warm.Count} artifacts, serve CPU {cold:F1} ms per artifact{(complete ? "" : " (not all acted on in time)")}");
        return (cold, complete ? null : $"warm-up: not every one of {warm.Count} artifacts was acted on within {settings.Timeout}");
    }

    /// <summary>Keeps each serve's /metrics (stage durations, in-flight messages) beside the results file, for profiling.</summary>
    private static async Task SaveMetricsAsync(IReadOnlyList<ServeProcess> serves, string output, CancellationToken cancellationToken)
    {
        using var http = Http.Client();
        for (var i = 0; i < serves.Count; i++)
        {
            var file = $"{output}.serve-{i.ToString(CultureInfo.InvariantCulture)}.metrics.txt";
            try
            {
                await File.WriteAllTextAsync(file, await http.GetStringAsync(new Uri(serves[i].Url, "/metrics"), cancellationToken), cancellationToken);
            }
            catch (HttpRequestException e)
            {
                await File.WriteAllTextAsync(file, "# /metrics failed: " + e.Message, cancellationToken);
            }
        }
    }

    private static LatencySummary Latency(IReadOnlyList<double> ms) =>
        new(Percentiles.Of(ms, 50), Percentiles.Of(ms, 90), Percentiles.Of(ms, 99), ms.Count == 0 ? 0 : ms.Max());

    private static RigServices Services(LoadSettings settings, string vhost) =>
        new(settings.RabbitHost, settings.RabbitPort, vhost, settings.Postgres, settings.Registry, settings.WorkDir);

    private static double Mb(long bytes) => Math.Round(bytes / 1024.0 / 1024.0, 1);

    /// <summary>A fresh virtual host per phase when the node's data folder is known (tests/tools/rabbitmq-node.sh), so
    /// phases never see each other's queues; otherwise the one given.</summary>
    private static async Task<string> VirtualHostAsync(LoadSettings settings, string phase, CancellationToken cancellationToken)
    {
        var tools = Environment.GetEnvironmentVariable("HB_TEST_TOOLS");
        if (settings.RabbitDir is null || tools is null)
        {
            return settings.VirtualHost;
        }

        var vhost = $"load-{phase}-{Guid.NewGuid().ToString("N")[..6]}";
        var script = Path.Combine(tools, "rabbitmq-node.sh");
        await RunAsync(script, ["ctl", settings.RabbitDir, "add_vhost", vhost], cancellationToken);
        await RunAsync(script, ["ctl", settings.RabbitDir, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], cancellationToken);
        return vhost;
    }

    private static async Task RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await output}");
        }
    }

    private static async Task WaitListeningAsync(Uri url, CancellationToken cancellationToken)
    {
        using var http = Http.Client();
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not yet listening
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new InvalidOperationException($"{url} did not answer within 30 s");
    }

    private static async Task<string> GitCommitAsync()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await git.StandardOutput.ReadToEndAsync();
            await git.WaitForExitAsync();
            return git.ExitCode == 0 ? output.Trim() : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
