using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing.Keys;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>What differs between the pipeline tests that <see cref="PipelineHost"/> starts.</summary>
internal sealed record PipelineHostOptions
{
    /// <summary>The policy file's text (written to <c>policy.yaml</c> in the host's folder, where relative key paths resolve).</summary>
    public required string Policy { get; init; }

    /// <summary>Scan report file per repository of the host's project.</summary>
    public Dictionary<string, string> Reports { get; init; } = new(StringComparer.Ordinal);

    /// <summary>"project/repository" whose scans fail; the simulator reads the set live, so a test may change it (under a lock).</summary>
    public HashSet<string> FailingScans { get; init; } = new(StringComparer.Ordinal);

    public TimeSpan ScanDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Harbor project metadata (e.g. <c>auto_scan</c>).</summary>
    public IReadOnlyDictionary<string, string>? ProjectMetadata { get; init; }

    /// <summary>The payload format of the project's webhook policy ("Default" or "CloudEvents").</summary>
    public string WebhookFormat { get; init; } = "Default";

    public string[] WebhookEvents { get; init; } = ["PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED"];

    /// <summary>Whether HarborBridge signs (with a key made for the test, <see cref="PipelineHost.SigningKey"/>).</summary>
    public bool Sign { get; init; }

    /// <summary>Whether the Rescan, AtRiskDeadlines, Reconcile and ExceptionExpiry jobs run (the scan-timeout sweep always does).</summary>
    public bool ScheduledJobs { get; init; } = true;

    public string? AdminToken { get; init; }

    /// <summary>More settings, applied last (over the ones above).</summary>
    public Dictionary<string, string?> Settings { get; init; } = new(StringComparer.Ordinal);

    public Action<IServiceCollection>? Services { get; init; }

    /// <summary>How long to wait for the bus to connect.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// The whole pipeline for one test: a folder of its own, a Harbor simulator in front of docker-registry with one project
/// whose webhook policy calls HarborBridge, a fresh PostgreSQL database, a RabbitMQ vhost, and HarborBridge itself
/// (<see cref="HarborBridgeFactory"/>). Made in two steps so a test can put files in <see cref="Folder"/> and name
/// <see cref="Project"/> in them before <see cref="StartAsync"/>; disposing stops what was started, last started first.
/// </summary>
internal sealed class PipelineHost(string projectPrefix = "p") : IAsyncDisposable
{
    private const string KeyPassword = "pipeline-host-key-pw";
    private readonly List<HostReceiveEndpointHandle> _probes = [];
    private PostgresDatabase? _database;
    private SimulatorSession? _session;
    private HarborBridgeFactory? _factory;
    private string? _adminToken;

    public string Folder { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hb-pipeline-" + Guid.NewGuid().ToString("N"))).FullName;

    public string Project { get; } = projectPrefix + Guid.NewGuid().ToString("N")[..8];

    public string PolicyFile => PathOf("policy.yaml");

    public SimulatorSession Session => _session ?? throw new InvalidOperationException("The pipeline is not started.");

    public HarborBridgeFactory Factory => _factory ?? throw new InvalidOperationException("The pipeline is not started.");

    public IArtifactStore Store => Factory.Store;

    public IDecisionStore Decisions => Factory.Services.GetRequiredService<IDecisionStore>();

    /// <summary>The key HarborBridge signs with, when <see cref="PipelineHostOptions.Sign"/> is set.</summary>
    public ECDsa? SigningKey { get; private set; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public async Task StartAsync(PipelineHostOptions options)
    {
        await File.WriteAllTextAsync(PolicyFile, options.Policy);
        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            Reports = options.Reports.ToDictionary(r => $"{Project}/{r.Key}", r => r.Value, StringComparer.Ordinal),
            FailingScans = options.FailingScans,
            ScanDelay = options.ScanDelay,
            WebhookHandler = () => Factory.Server.CreateHandler(),
        }, options.ProjectMetadata, Project);
        _session.Simulator.State.AddWebhookPolicy(Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, options.WebhookFormat,
            options.WebhookEvents);
        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, PolicyFile);
        if (!options.ScheduledJobs)
        {
            foreach (var job in new[] { "Rescan", "AtRiskDeadlines", "Reconcile", "ExceptionExpiry" })
            {
                settings[$"HarborBridge:Schedules:{job}"] = "";
            }
        }

        if (options.Sign)
        {
            SigningKey = SigningKeyFiles.Generate();
            await File.WriteAllTextAsync(PathOf("service.key"), SigningKeyFiles.WriteEncryptedPrivateKey(SigningKey, Encoding.UTF8.GetBytes(KeyPassword)));
            settings["HarborBridge:Signing:KeyFile"] = PathOf("service.key");
            settings["HarborBridge:Signing:KeyPassword"] = KeyPassword;
        }

        if (options.AdminToken is not null)
        {
            _adminToken = options.AdminToken;
            settings["HarborBridge:Admin:Token"] = options.AdminToken;
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        _factory = new HarborBridgeFactory(settings, options.Services);
        using var client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", options.Patience), "bus did not connect");
    }

    /// <summary>Records every <typeparamref name="T"/> published from now on (a receive endpoint of its own on the bus).</summary>
    public async Task<Observed<T>> ObserveAsync<T>()
        where T : class
    {
        var observed = new Observed<T>();
        var probe = Factory.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint($"probe-{typeof(T).Name}-{Guid.NewGuid().ToString("N")[..8]}", e =>
            e.Handler<T>(c =>
            {
                observed.Add(c.Message);
                return Task.CompletedTask;
            }));
        _probes.Add(probe);
        await probe.Ready;
        return observed;
    }

    /// <summary>A client of HarborBridge's API that presents the admin token.</summary>
    public HttpClient AdminClient()
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _adminToken ?? throw new InvalidOperationException("No admin token set."));
        return client;
    }

    /// <summary>The artifact's state as HarborBridge records it (null before it knows the artifact).</summary>
    public async Task<string?> StateAsync(ArtifactRef a) =>
        (await Store.FindByDigestAsync(a.Digest, default)).SingleOrDefault(r => r.Artifact == a)?.State;

    /// <summary>The cosign signatures Harbor's API lists as the artifact's accessories.</summary>
    public async Task<int> SignaturesAsync(ArtifactRef a) =>
        (await Session.Harbor.ListAccessoriesAsync(a.Project, a.Repository, a.Digest, default)).Count(x => x.Type == "signature.cosign");

    public async ValueTask DisposeAsync()
    {
        foreach (var probe in _probes)
        {
            await probe.StopAsync(CancellationToken.None);
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_session is not null)
        {
            await _session.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        SigningKey?.Dispose();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}

/// <summary>Messages of one type received by a <see cref="PipelineHost.ObserveAsync{T}"/> probe, safe to read while more arrive.</summary>
internal sealed class Observed<T>
{
    private readonly List<T> _messages = [];

    public IReadOnlyList<T> Snapshot()
    {
        lock (_messages)
        {
            return [.. _messages];
        }
    }

    internal void Add(T message)
    {
        lock (_messages)
        {
            _messages.Add(message);
        }
    }
}
