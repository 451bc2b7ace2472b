using System.Globalization;
using System.Text;

namespace HarborBridge.LoadDriver;

/// <summary>The results as a Markdown table for docs/performance.md's summary (printed, and written beside the
/// JSON file), goals beside the figures so that a reader sees at once what was met.</summary>
public static class ResultsTable
{
    public static string Markdown(LoadResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var t = new StringBuilder();
        t.AppendLine(Inv($"Measured {results.StartedAt:yyyy-MM-dd HH:mm} UTC, commit `{results.Commit}`, {results.Machine}, load average at the end {results.Uptime}."));
        t.AppendLine(Inv($"Settings: {string.Join(", ", results.Settings.Select(s => $"{s.Key} {s.Value}"))}."));
        t.AppendLine();
        t.AppendLine("| figure | measured | goal | met |");
        t.AppendLine("| --- | --- | --- | --- |");
        if (results.RawPublish is { } raw)
        {
            Row(t, "raw RabbitMQ publish-with-confirm", Inv($"{raw.PerSecond:N0} msg/s, p50 {raw.P50Ms:F1} ms, p99 {raw.P99Ms:F1} ms"), "", "");
        }

        if (results.BareEndpoint is { } bare)
        {
            Row(t, "bare endpoint (ASP.NET Core + MassTransit publish)", Wrk(bare), "", "");
        }

        if (results.Intake is { } intake)
        {
            var ratio = results.Ratios.TryGetValue("intakeToBareEndpoint", out var r) ? Inv($"; {r:F2} × bare endpoint") : "";
            var met = intake.Wrk.RequestsPerSecond >= 3000 && intake.Wrk.P99Ms < 25 && (r == 0 || r >= 0.8);
            Row(t, "**`serve --roles webhook`** intake", Wrk(intake.Wrk) + ratio, "≥ 0.8 × bare, ≥ 3,000 req/s, p99 < 25 ms", Yes(met));
            Row(t, "serve RSS (webhook role): idle / peak", Inv($"{intake.IdleRssMb:F0} MB / {intake.PeakRssMb:F0} MB"), "< 150 MB / < 400 MB",
                Yes(intake.IdleRssMb < 150 && intake.PeakRssMb < 400));
        }

        if (results.Pipeline is { } p)
        {
            Pipeline(t, p, "pipeline", withGoals: true);
        }

        if (results.ScaleOut is { } s)
        {
            Pipeline(t, s.OneWorker, "scale-out, 1 worker", withGoals: false);
            Pipeline(t, s.TwoWorkers, "scale-out, 2 workers", withGoals: false);
            Row(t, "**scale-out: 2 workers / 1 worker**", Inv($"decided × {s.DecidedRatio:F2}, acted on × {s.ActedRatio:F2}"), "grows (> 1)", Yes(s.ActedRatio > 1));
        }

        return t.ToString();
    }

    /// <summary>The throughput and latency goals hold for the main burst (at <c>--rate</c>); the scale-out bursts push as
    /// fast as they can and are compared with each other only.</summary>
    private static void Pipeline(StringBuilder t, PipelineResult p, string name, bool withGoals)
    {
        var layout = p.ServeProcesses == 1 ? "one serve, all roles" : Inv($"webhook+scheduler process and {p.Workers} worker(s)");
        Row(t, Inv($"{name}: pushed ({layout})"), Inv($"{p.Pushed} artifacts at {p.PushedPerSecond:F1}/s"), "", "");
        Row(t, Inv($"{name}: **decided / acted on**"), Inv($"{p.DecidedPerSecond:F1}/s / {p.ActedPerSecond:F1}/s"),
            withGoals ? "≥ 200/s" : "", withGoals ? Yes(p.ActedPerSecond >= 200) : "");
        Row(t, Inv($"{name}: push → decision overhead p50 / p90 / p99"), Inv($"{p.DecisionOverhead.P50Ms:F0} / {p.DecisionOverhead.P90Ms:F0} / {p.DecisionOverhead.P99Ms:F0} ms"),
            withGoals ? "p99 < 250 ms at 100/s" : "", withGoals ? Yes(p.DecisionOverhead.P99Ms < 250) : "");
        Row(t, Inv($"{name}: push → signed/blocked p50 / p99"), Inv($"{p.ActedLatency.P50Ms:F0} / {p.ActedLatency.P99Ms:F0} ms"), "", "");
        Row(t, Inv($"{name}: calls per artifact (Harbor API / registry)"), Inv($"{p.HarborCallsPerArtifact:F2} / {p.RegistryCallsPerArtifact:F2}"), "", "");
        Row(t, Inv($"{name}: CPU per artifact (serve / driver + simulator)"), Inv($"{p.ServeCpuMsPerArtifact:F1} ms / {p.DriverCpuMsPerArtifact:F1} ms"), "", "");
        if (p.WarmUpArtifacts > 0)
        {
            Row(t, Inv($"{name}: **serve CPU per artifact, steady** (after {p.WarmUpArtifacts} warm-up artifacts) / cold (the warm-up)"),
                Inv($"{p.SteadyServeCpuMsPerDecided:F1} ms / {p.ColdServeCpuMsPerArtifact:F1} ms"), withGoals ? "steady ≤ 5 ms" : "",
                withGoals ? Yes(p.SteadyServeCpuMsPerDecided <= 5) : "");
        }
        Row(t, Inv($"{name}: serve RSS idle / peak"), string.Join("; ", p.IdleRssMb.Zip(p.PeakRssMb, (i, k) => Inv($"{i:F0} / {k:F0} MB"))),
            "< 150 MB / < 400 MB", Yes(p.IdleRssMb.All(m => m < 150) && p.PeakRssMb.All(m => m < 400)));
        Row(t, Inv($"{name}: audit (lost, doubled, wrong verdict, signature layers ≠ 1)"),
            p.Problems.Count == 0 ? "no problem" : Inv($"{p.Problems.Count} problem(s), see the JSON"), "none", Yes(p.Problems.Count == 0));
    }

    private static string Wrk(WrkResult w) =>
        Inv($"{w.RequestsPerSecond:N0} req/s, p50 {w.P50Ms:F1} ms, p99 {w.P99Ms:F1} ms, {w.Non2xx} non-2xx");

    private static string Yes(bool met) => met ? "yes" : "**no**";

    private static void Row(StringBuilder t, string figure, string measured, string goal, string met) =>
        t.AppendLine(Inv($"| {figure} | {measured} | {goal} | {met} |"));

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
