using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HarborBridge.LoadDriver;

/// <summary>Where the real services are: RabbitMQ (a virtual host already created), PostgreSQL (superuser connection
/// string; the rig makes its own database), docker-registry (host:port, plain HTTP), a work folder.</summary>
public sealed record RigServices(string RabbitHost, int RabbitPort, string VirtualHost, string PostgresAdmin, string Registry, string WorkDir);

/// <summary>
/// The whole system on 127.0.0.1 for one run: a fresh database, the Harbor simulator in front of the registry (one
/// project, one repository per <see cref="ArtifactKind"/>), a signing key, a policy, and <c>harborbridge serve</c>
/// processes on RabbitMQ and PostgreSQL. Pushes go through the simulator, which fires the webhooks as Harbor would.
/// </summary>
public sealed class PipelineRig : IAsyncDisposable
{
    public const string AuthHeader = "Basic bG9hZDpkcml2ZXI=";
    private const string DriverAgent = "hb-loaddriver/1.0";
    private const string Policy = """
        version: 1
        defaults:
          block: { severity: CRITICAL }
          warn:  { severity: HIGH }
        """;

    private readonly List<ServeProcess> _serves = [];
    private readonly ServiceProvider _clients;
    private readonly Dictionary<ArtifactKind, string> _layers = [];
    private int _pushed;

    private PipelineRig(RigServices services, HarborSimulatorHandle simulator, string project, string database, string directory, ServiceProvider clients)
    {
        Services = services;
        Simulator = simulator;
        Project = project;
        Database = database;
        Directory = directory;
        _clients = clients;
        WebhookPort = ServeProcess.FreePort();
    }

    public RigServices Services { get; }

    public HarborSimulatorHandle Simulator { get; }

    public string Project { get; }

    /// <summary>Connection string of this run's own database.</summary>
    public string Database { get; }

    public string Directory { get; }

    /// <summary>The port of the serve process Harbor's webhooks go to (kept across restarts).</summary>
    public int WebhookPort { get; }

    public IReadOnlyList<ServeProcess> Serves => _serves;

    public PipelineWatcher Watcher { get; } = new();

    public static string RepositoryOf(ArtifactKind kind) => kind.ToString().ToLowerInvariant();

    /// <param name="webhookAttempts">Delivery attempts per webhook, 1 s apart. Harbor's own retries span longer than
    /// the 3 × 1 s default; fault tests that take serve or the broker away for seconds raise it to stand in for that.</param>
    public static async Task<PipelineRig> StartAsync(RigServices services, TimeSpan scanDelay, CancellationToken cancellationToken, int webhookAttempts = 3)
    {
        ArgumentNullException.ThrowIfNull(services);
        var id = Guid.NewGuid().ToString("N")[..8];
        var directory = Path.Combine(services.WorkDir, "load-" + id);
        System.IO.Directory.CreateDirectory(directory);
        var database = await CreateDatabaseAsync(services.PostgresAdmin, "hb_load_" + id, cancellationToken);
        var project = "load" + id;
        var fixtures = Path.Combine(AppContext.BaseDirectory, "load-fixtures");
        var simulator = await HarborSimulatorHost.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = services.Registry,
            Reports =
            {
                [$"{project}/{RepositoryOf(ArtifactKind.Warned)}"] = Path.Combine(fixtures, "warned.json"),
                [$"{project}/{RepositoryOf(ArtifactKind.Blocked)}"] = Path.Combine(fixtures, "blocked.json"),
            },
            ScanDelay = scanDelay,
            WebhookRetryDelay = TimeSpan.FromSeconds(1),
            WebhookAttempts = webhookAttempts,
        }, cancellationToken);
        simulator.State.CreateProject(project);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = simulator.Url.ToString(),
            // The simulator's registry asks for a token, as Harbor's does: the driver pushes as its admin.
            ["HarborBridge:Harbor:Username"] = "admin",
            ["HarborBridge:Harbor:Password"] = "Harbor12345",
            ["HarborBridge:Harbor:RegistryUserAgent"] = DriverAgent,
            ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.100",
            ["HarborBridge:Harbor:MaxRetryAttempts"] = "6",
        }).Build();
        var clients = new ServiceCollection().AddLogging().AddHarborClients(configuration).BuildServiceProvider();
        var rig = new PipelineRig(services, simulator, project, database, directory, clients);
        simulator.State.AddWebhookPolicy(project, $"http://127.0.0.1:{rig.WebhookPort.ToString(CultureInfo.InvariantCulture)}/webhooks/harbor",
            AuthHeader, "Default", "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
        await File.WriteAllTextAsync(Path.Combine(directory, "policy.yaml"), Policy, cancellationToken);
        using (var key = HarborBridge.Signing.Keys.SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "signing.key"), key.ExportPkcs8PrivateKeyPem(), cancellationToken);
        }

        await rig.Watcher.StartAsync(services.RabbitHost, services.RabbitPort, services.VirtualHost, cancellationToken);
        return rig;
    }

    /// <summary>serve's settings for this rig; <paramref name="overrides"/> win.</summary>
    public Dictionary<string, string> ServeSettings(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HarborBridge:Transport"] = "RabbitMq",
            ["HarborBridge:RabbitMq:Host"] = Services.RabbitHost,
            ["HarborBridge:RabbitMq:Port"] = Services.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["HarborBridge:RabbitMq:VirtualHost"] = Services.VirtualHost,
            ["HarborBridge:Database:Provider"] = "Postgres",
            ["HarborBridge:Database:ConnectionString"] = Database,
            ["HarborBridge:Harbor:Url"] = Simulator.Url.ToString(),
            ["HarborBridge:Harbor:Username"] = "admin",
            ["HarborBridge:Harbor:Password"] = "Harbor12345",
            ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.200",
            ["HarborBridge:Webhook:AuthHeader"] = AuthHeader,
            ["HarborBridge:Policy:File"] = Path.Combine(Directory, "policy.yaml"),
            ["HarborBridge:Signing:KeyFile"] = Path.Combine(Directory, "signing.key"),
            // Per-request Information logs would measure the console, not the pipeline; warnings and errors stay.
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Starts a serve process. The first one with the webhook role listens on <see cref="WebhookPort"/>.</summary>
    public async Task<ServeProcess> StartServeAsync(string roles, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var webhook = roles.Contains("webhook", StringComparison.Ordinal) || roles == "all";
        var log = Path.Combine(Directory, $"serve-{_serves.Count.ToString(CultureInfo.InvariantCulture)}.log");
        var serve = await ServeProcess.StartAsync(ServeSettings(overrides), roles, log, TimeSpan.FromSeconds(90), cancellationToken, webhook ? WebhookPort : 0);
        _serves.Add(serve);
        return serve;
    }

    /// <summary>Uploads one shared layer per repository (each artifact then differs only by its config blob).</summary>
    private async Task<string> LayerAsync(ArtifactKind kind, CancellationToken cancellationToken)
    {
        lock (_layers)
        {
            if (_layers.TryGetValue(kind, out var known))
            {
                return known;
            }
        }

        var layer = Encoding.UTF8.GetBytes("layer of " + kind);
        var digest = await Registry.UploadBlobAsync(Repository(kind), layer, cancellationToken);
        lock (_layers)
        {
            _layers[kind] = digest;
        }

        return digest;
    }

    private IOciRegistryClient Registry => _clients.GetRequiredService<IOciRegistryClient>();

    private OciRepository Repository(ArtifactKind kind) => OciRepository.InHarbor(Simulator.Url, Project, RepositoryOf(kind));

    /// <summary>Pushes one new image (unique config, shared layer) by tag through the simulator, which fires
    /// PUSH_ARTIFACT; with <paramref name="viaHarbor"/> false straight to the registry, so HarborBridge never hears of it.</summary>
    public async Task<PushedArtifact> PushAsync(ArtifactKind kind, CancellationToken cancellationToken, bool viaHarbor = true)
    {
        // Like docker or skopeo, retry a push that Harbor refused (503/429 from fault injection, a registry restart);
        // uploads and manifest PUTs are not retried by the HTTP client, as they are not idempotent in general.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PushOnceAsync(kind, viaHarbor, cancellationToken);
            }
            catch (Exception e) when (attempt < 20 && e is OciRegistryException or HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }

    private async Task<PushedArtifact> PushOnceAsync(ArtifactKind kind, bool viaHarbor, CancellationToken cancellationToken)
    {
        var layer = await LayerAsync(kind, cancellationToken);
        var layerSize = Encoding.UTF8.GetByteCount("layer of " + kind);
        var config = JsonSerializer.SerializeToUtf8Bytes(new { architecture = "amd64", os = "linux", config = new { Labels = new { run = Guid.NewGuid().ToString() } } });
        var repository = viaHarbor ? Repository(kind) : new OciRepository(new Uri($"http://{Services.Registry}/"), Repository(kind).Name);
        var configDigest = await Registry.UploadBlobAsync(repository, config, cancellationToken);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest, size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar", digest = layer, size = layerSize } },
        });
        var tag = "v" + Interlocked.Increment(ref _pushed).ToString(CultureInfo.InvariantCulture);
        await Registry.PutManifestAsync(repository, tag, manifest, "application/vnd.oci.image.manifest.v1+json", null, cancellationToken);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));
        return new PushedArtifact(Project, repository.Name[(Project.Length + 1)..], tag, digest, kind, TimeProvider.System.GetUtcNow());
    }

    /// <summary>Pushes <paramref name="kinds"/> at <paramref name="rate"/> artifacts/s (0: as fast as
    /// <paramref name="concurrency"/> parallel pushes go).</summary>
    public async Task<IReadOnlyList<PushedArtifact>> PushBurstAsync(IReadOnlyList<ArtifactKind> kinds, double rate, int concurrency, CancellationToken cancellationToken)
    {
        foreach (var kind in kinds.Distinct())
        {
            await LayerAsync(kind, cancellationToken);
        }

        var pushed = new PushedArtifact[kinds.Count];
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, kinds.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                if (rate > 0)
                {
                    var due = TimeSpan.FromSeconds(i / rate) - started.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, ct);
                    }
                }

                pushed[i] = await PushAsync(kinds[i], ct);
            });
        return pushed;
    }

    /// <summary>Waits until every artifact was decided and acted on (signed, or blocked/quarantined), or the timeout passes.</summary>
    public async Task<bool> WaitUntilActedAsync(IEnumerable<PushedArtifact> artifacts, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var list = artifacts.ToList();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (list.All(a => ActedAt(a) is not null))
            {
                return true;
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    /// <summary>Audits until nothing is wrong (then once more after <paramref name="settle"/>, so that late duplicates
    /// show) or the timeout passes; returns the problems of the last audit.</summary>
    public async Task<IReadOnlyList<string>> WaitForCleanAuditAsync(IReadOnlyList<PushedArtifact> artifacts, TimeSpan timeout, TimeSpan settle, CancellationToken cancellationToken)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<string> problems;
        do
        {
            problems = await AuditOnceAsync(artifacts, cancellationToken);
            if (problems.Count == 0)
            {
                await Task.Delay(settle, cancellationToken);
                return await AuditOnceAsync(artifacts, cancellationToken);
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
        while (deadline.Elapsed < timeout);

        return problems;
    }

    private async Task<IReadOnlyList<string>> AuditOnceAsync(IReadOnlyList<PushedArtifact> artifacts, CancellationToken cancellationToken)
    {
        try
        {
            return PipelineAudit.Problems(await Audit.OutcomesAsync(artifacts, cancellationToken));
        }
        catch (Exception e) when (e is NpgsqlException or HttpRequestException or System.Net.Sockets.SocketException)
        {
            return [$"audit failed: {e.Message}"];
        }
    }

    public DateTimeOffset? DecidedAt(PushedArtifact artifact) =>
        Watcher.For(artifact.Digest).First(PipelineWatcher.Approved, PipelineWatcher.Warned, PipelineWatcher.Blocked);

    public DateTimeOffset? ActedAt(PushedArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var events = Watcher.For(artifact.Digest);
        return artifact.Kind == ArtifactKind.Blocked
            ? events.First(PipelineWatcher.Quarantined) ?? events.First(PipelineWatcher.Blocked)
            : events.First(PipelineWatcher.Signed);
    }

    /// <summary>Harbor API and registry requests HarborBridge made (the driver's own pushes not counted).</summary>
    public (long Api, long Registry) HarborBridgeCalls()
    {
        var counts = Simulator.State.RequestCounts;
        return (counts.Where(c => c.Key.Kind == "api").Sum(c => c.Value),
            counts.Where(c => c.Key.Kind is "registry" or "token" && c.Key.UserAgent != DriverAgent).Sum(c => c.Value));
    }

    public PipelineAudit Audit => new(Services.Registry, Database, Project);

    private static async Task<string> CreateDatabaseAsync(string admin, string name, CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var serve in _serves)
        {
            await serve.DisposeAsync();
        }

        await Watcher.DisposeAsync();
        await Simulator.DisposeAsync();
        await _clients.DisposeAsync();
        try
        {
            await using var connection = new NpgsqlConnection(Services.PostgresAdmin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {new NpgsqlConnectionStringBuilder(Database).Database} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // The server may be the one a fault test stopped; its data folder goes with the test run.
        }
    }
}
