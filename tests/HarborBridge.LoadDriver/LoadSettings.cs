using System.Globalization;

namespace HarborBridge.LoadDriver;

/// <summary>The driver's command line (<c>--name value</c> pairs); services default to what tests/run.sh exports.</summary>
public sealed class LoadSettings
{
    public int Artifacts { get; private set; } = 1000;

    /// <summary>Pushes per second; 0 pushes as fast as <see cref="PushConcurrency"/> allows.</summary>
    public double Rate { get; private set; }

    public int PushConcurrency { get; private set; } = 16;

    public ArtifactMix Mix { get; private set; } = ArtifactMix.Default;

    public TimeSpan ScanDelay { get; private set; } = TimeSpan.Zero;

    /// <summary>Added by the simulator before every Harbor API and registry answer in the pipeline phases, so that
    /// throughput is bound by waiting rather than by the cores (the latency-bound scale-out figure).</summary>
    public TimeSpan Latency { get; private set; } = TimeSpan.Zero;

    public TimeSpan IntakeDuration { get; private set; } = TimeSpan.FromSeconds(15);

    public int Connections { get; private set; } = 32;

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromMinutes(5);

    public int Workers { get; private set; } = 1;

    /// <summary>Artifacts sent through each serve before a pipeline burst is measured (JIT tiering, caches, connection
    /// pools); their CPU is reported apart as the cold figure. 0: no warm-up, the burst's figure is the cold one.</summary>
    public int WarmUpArtifacts { get; private set; }

    /// <summary>Artifacts in each of the two scale-out bursts (one worker, then two).</summary>
    public int ScaleOutArtifacts { get; private set; } = 300;

    public HashSet<string> Phases { get; private set; } = new(StringComparer.Ordinal) { "baselines", "intake", "pipeline", "scaleout" };

    public string Output { get; private set; } = "load-results.json";

    public string RabbitHost { get; private set; } = Environment.GetEnvironmentVariable("HB_TEST_RABBITMQ_HOST") ?? "";

    public int RabbitPort { get; private set; } = int.TryParse(Environment.GetEnvironmentVariable("HB_TEST_RABBITMQ_PORT"), CultureInfo.InvariantCulture, out var p) ? p : 0;

    /// <summary>Data folder of the RabbitMQ node from tests/tools/rabbitmq-node.sh; with it each phase gets its own virtual host.</summary>
    public string? RabbitDir { get; private set; } = Environment.GetEnvironmentVariable("HB_TEST_RABBITMQ_DIR");

    public string VirtualHost { get; private set; } = "/";

    public string Postgres { get; private set; } = Environment.GetEnvironmentVariable("HB_TEST_POSTGRES") ?? "";

    public string Registry { get; private set; } = Environment.GetEnvironmentVariable("HB_TEST_REGISTRY") ?? "";

    public string WorkDir { get; private set; } = Environment.GetEnvironmentVariable("HB_TEST_WORK") ?? Path.GetTempPath();

    /// <summary>Parses the arguments; on bad input returns null and a message naming the argument.</summary>
    public static (LoadSettings? Settings, string Error) Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var s = new LoadSettings();
        for (var i = 0; i < args.Count; i += 2)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                return (null, $"{name} needs a value");
            }

            var value = args[i + 1];
            var ok = name switch
            {
                "--artifacts" => Positive(value, v => s.Artifacts = v),
                "--rate" => double.TryParse(value, CultureInfo.InvariantCulture, out var r) && r >= 0 && Set(() => s.Rate = r),
                "--push-concurrency" => Positive(value, v => s.PushConcurrency = v),
                "--mix" => ArtifactMix.TryParse(value, out var mix) && Set(() => s.Mix = mix),
                "--scan-delay-ms" => int.TryParse(value, CultureInfo.InvariantCulture, out var d) && d >= 0 && Set(() => s.ScanDelay = TimeSpan.FromMilliseconds(d)),
                "--latency-ms" => int.TryParse(value, CultureInfo.InvariantCulture, out var l) && l >= 0 && Set(() => s.Latency = TimeSpan.FromMilliseconds(l)),
                "--duration" => Positive(value, v => s.IntakeDuration = TimeSpan.FromSeconds(v)),
                "--connections" => Positive(value, v => s.Connections = v),
                "--timeout" => Positive(value, v => s.Timeout = TimeSpan.FromSeconds(v)),
                "--workers" => Positive(value, v => s.Workers = v),
                "--warmup" => int.TryParse(value, CultureInfo.InvariantCulture, out var w) && w >= 0 && Set(() => s.WarmUpArtifacts = w),
                "--scale-out-artifacts" => Positive(value, v => s.ScaleOutArtifacts = v),
                "--phases" => Set(() => s.Phases = new HashSet<string>(value.Split(','), StringComparer.Ordinal))
                    && s.Phases.All(ph => ph is "baselines" or "intake" or "pipeline" or "scaleout"),
                "--output" => Set(() => s.Output = value),
                "--rabbitmq" => HostPort(value, (h, port) => { s.RabbitHost = h; s.RabbitPort = port; }),
                "--rabbitmq-dir" => Set(() => s.RabbitDir = value),
                "--vhost" => Set(() => s.VirtualHost = value),
                "--postgres" => Set(() => s.Postgres = value),
                "--registry" => HostPort(value, (_, _) => s.Registry = value),
                "--work" => Set(() => s.WorkDir = value),
                _ => false,
            };
            if (!ok)
            {
                return (null, $"invalid argument {name} {value}");
            }
        }

        if (s.RabbitHost.Length == 0 || s.RabbitPort == 0)
        {
            return (null, "RabbitMQ is not set: pass --rabbitmq HOST:PORT or run under tests/run.sh --exec");
        }

        if (s.Postgres.Length == 0 && s.Phases.Count > 0)
        {
            return (null, "PostgreSQL is not set: pass --postgres CONNECTION_STRING or run under tests/run.sh --exec");
        }

        if (s.Registry.Length == 0)
        {
            return (null, "docker-registry is not set: pass --registry HOST:PORT or run under tests/run.sh --exec");
        }

        return (s, "");

        static bool Set(Action set)
        {
            set();
            return true;
        }

        static bool Positive(string value, Action<int> set)
        {
            if (!int.TryParse(value, CultureInfo.InvariantCulture, out var v) || v <= 0)
            {
                return false;
            }

            set(v);
            return true;
        }

        static bool HostPort(string value, Action<string, int> set)
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(value[(colon + 1)..], CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
            {
                return false;
            }

            set(value[..colon], port);
            return true;
        }
    }

    public const string Usage = """
        usage: HarborBridge.LoadDriver [--artifacts 1000] [--rate 0] [--push-concurrency 16] [--mix 70/20/10]
                                       [--scan-delay-ms 0] [--latency-ms 0] [--duration 15] [--connections 32] [--timeout 300] [--workers 1]
                                       [--warmup 0]
                                       [--scale-out-artifacts 300] [--phases baselines,intake,pipeline,scaleout]
                                       [--output load-results.json]
                                       [--rabbitmq HOST:PORT] [--rabbitmq-dir DIR | --vhost /] [--postgres CONNSTR]
                                       [--registry HOST:PORT] [--work DIR]
        Services default to HB_TEST_* (run it as: tests/run.sh --exec dotnet <path>/HarborBridge.LoadDriver.dll ...).
        """;
}
