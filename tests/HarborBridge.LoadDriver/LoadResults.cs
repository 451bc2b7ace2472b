namespace HarborBridge.LoadDriver;

/// <summary>The results file (JSON) of one load run.</summary>
public sealed class LoadResults
{
    public DateTimeOffset StartedAt { get; init; }

    public string Machine { get; init; } = "";

    public string Commit { get; init; } = "";

    public Dictionary<string, string> Settings { get; init; } = [];

    public Throughput? RawPublish { get; set; }

    public WrkResult? BareEndpoint { get; set; }

    public IntakeResult? Intake { get; set; }

    public PipelineResult? Pipeline { get; set; }

    /// <summary>The same burst on one worker process and on two (<c>--phases scaleout</c>).</summary>
    public ScaleOutResult? ScaleOut { get; set; }

    /// <summary>Load averages (1, 5, 15 min) when the run ended.</summary>
    public string Uptime { get; set; } = "";

    public Dictionary<string, double> Ratios { get; init; } = [];
}

public sealed record IntakeResult(WrkResult Wrk, double IdleRssMb, double PeakRssMb);

public sealed record LatencySummary(double P50Ms, double P90Ms, double P99Ms, double MaxMs);

/// <summary>One burst through the whole pipeline. Overhead is push→decision minus the simulated scan time. CPU per
/// artifact (all serve processes; the driver's own process with the simulator and the pushes) is the figure that
/// other load on the machine disturbs least. With a warm-up (<c>--warmup N</c>) the burst is measured after N artifacts went
/// through the same serve processes: <see cref="ColdServeCpuMsPerArtifact"/> is the serve CPU of the warm-up per artifact
/// (JIT tiering included), <see cref="SteadyServeCpuMsPerDecided"/> the serve CPU of the measured window per artifact decided
/// in it; calls per artifact count the window only.</summary>
public sealed record PipelineResult(
    int Workers,
    int ServeProcesses,
    int Pushed,
    double PushedPerSecond,
    int Decided,
    int ActedOn,
    double DecidedPerSecond,
    double ActedPerSecond,
    LatencySummary DecisionLatency,
    LatencySummary DecisionOverhead,
    LatencySummary ActedLatency,
    double HarborCallsPerArtifact,
    double RegistryCallsPerArtifact,
    IReadOnlyList<double> IdleRssMb,
    IReadOnlyList<double> PeakRssMb,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> RepeatedDecisions,
    double ServeCpuMsPerArtifact,
    double DriverCpuMsPerArtifact,
    int WarmUpArtifacts = 0,
    double? ColdServeCpuMsPerArtifact = null,
    double? SteadyServeCpuMsPerDecided = null);

/// <summary>Two bursts that differ only in the number of worker processes; ratios are two workers over one.</summary>
public sealed record ScaleOutResult(PipelineResult OneWorker, PipelineResult TwoWorkers, double DecidedRatio, double ActedRatio);
