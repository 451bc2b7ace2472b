using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

public sealed class SimProject
{
    public required long Id { get; init; }

    public required string Name { get; init; }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal) { ["public"] = "false" };

    public List<string> AllowlistCves { get; set; } = [];

    public long? AllowlistExpiresAt { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public bool IsOn(string key) => Metadata.TryGetValue(key, out var value) && value == "true";
}

public sealed class SimWebhookPolicy
{
    public required long Id { get; init; }

    public required long ProjectId { get; init; }

    public required JsonObject Body { get; set; }

    public bool Enabled => Body["enabled"]?.GetValue<bool>() == true;

    public string Name => Body["name"]?.GetValue<string>() ?? "";

    public IEnumerable<string> EventTypes => Body["event_types"]?.AsArray().Select(e => e!.GetValue<string>()) ?? [];
}

public sealed record SimAccessory(long Id, string Digest, string Type, string SubjectDigest, long Size, DateTimeOffset CreatedAt);

public sealed class SimScan
{
    public required string ReportId { get; init; }

    public string Status { get; set; } = "Pending";

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The report object (value of the 1.1 MIME key) once the scan succeeded.</summary>
    public JsonObject? Report { get; set; }

    internal CancellationTokenSource? Cancel { get; set; }
}

public sealed class SimArtifact
{
    public required long Id { get; init; }

    public required string Project { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    public required string ManifestMediaType { get; init; }

    public string? ConfigMediaType { get; init; }

    /// <summary>The manifest's <c>artifactType</c>, or its config media type (what the referrers API reports).</summary>
    public string? ArtifactType { get; init; }

    public long Size { get; init; }

    public List<string> Tags { get; } = [];

    public HashSet<long> Labels { get; } = [];

    public DateTimeOffset PushedAt { get; init; }

    /// <summary>For an image index: the digests of the manifests it lists (Harbor scans those, not the index).</summary>
    public List<string> Children { get; } = [];

    /// <summary>Set when this artifact is an accessory of another (signature, SBOM, referrer).</summary>
    public string? SubjectDigest { get; set; }

    public SimScan? Scan { get; set; }

    public string FullName => $"{Project}/{Repository}";

    public bool IsIndex => ManifestMediaType is "application/vnd.oci.image.index.v1+json" or "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>Harbor scans images, not indexes and not accessories.</summary>
    public bool Scannable => !IsIndex && SubjectDigest is null;
}

public sealed record SimLabel(long Id, string Name, string? Description, string? Color, string Scope, long ProjectId);

/// <summary>One webhook delivery attempt as the simulator made it.</summary>
public sealed record WebhookDelivery(
    string EventType,
    string Address,
    string Format,
    int Attempt,
    int? StatusCode,
    bool Dropped,
    string Body,
    string? Authorization,
    DateTimeOffset? At = null);

/// <summary>One request the simulator served: <paramref name="Kind"/> is <c>api</c>, <c>registry</c> or <c>token</c>.</summary>
public sealed record SimRequest(string Kind, string UserAgent, string Method, string Path);

/// <summary>Everything the simulator keeps, in memory. All access goes through <see cref="Sync"/>.</summary>
public sealed partial class SimulatorState
{
    private long _nextId = 1;
    private readonly List<WebhookDelivery> _deliveries = [];
    private readonly SemaphoreSlim _deliverySignal = new(0);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Kind, string UserAgent), long> _requests = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<SimRequest> _requestLog = new();

    private long _apiRequests;

    public Lock Sync { get; } = new();

    /// <summary>Requests made to <c>/api/v2.0/</c> so far (benchmarks count Harbor API calls with it).</summary>
    public long ApiRequests => Interlocked.Read(ref _apiRequests);

    internal void CountApiRequest() => Interlocked.Increment(ref _apiRequests);

    public Dictionary<string, SimProject> Projects { get; } = new(StringComparer.Ordinal);

    public List<SimArtifact> Artifacts { get; } = [];

    public List<SimAccessory> Accessories { get; } = [];

    public List<SimLabel> Labels { get; } = [];

    public List<SimWebhookPolicy> WebhookPolicies { get; } = [];

    /// <summary>Bearer tokens issued by <c>/service/token</c>: token → user.</summary>
    public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);

    public long NextId()
    {
        lock (Sync)
        {
            return _nextId++;
        }
    }

    /// <summary>Creates a project (idempotent) with metadata values, as a test set-up shortcut.</summary>
    public SimProject CreateProject(string name, IReadOnlyDictionary<string, string>? metadata = null, TimeProvider? time = null)
    {
        lock (Sync)
        {
            if (!Projects.TryGetValue(name, out var project))
            {
                project = new SimProject { Id = NextId(), Name = name, CreatedAt = (time ?? TimeProvider.System).GetUtcNow() };
                Projects[name] = project;
            }

            foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            {
                project.Metadata[key] = value;
            }

            return project;
        }
    }

    /// <summary>Adds a webhook policy to a project, as Harbor's API would store it.</summary>
    public SimWebhookPolicy AddWebhookPolicy(string project, string address, string? authHeader, string payloadFormat, params string[] eventTypes)
    {
        lock (Sync)
        {
            var owner = Projects[project];
            var policy = new SimWebhookPolicy
            {
                Id = NextId(),
                ProjectId = owner.Id,
                Body = new JsonObject
                {
                    ["name"] = $"policy-{_nextId}",
                    ["enabled"] = true,
                    ["event_types"] = new JsonArray(eventTypes.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
                    ["targets"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "http",
                        ["address"] = address,
                        ["auth_header"] = authHeader,
                        ["skip_cert_verify"] = false,
                        ["payload_format"] = payloadFormat,
                    }),
                },
            };
            WebhookPolicies.Add(policy);
            return policy;
        }
    }

    /// <summary>Adds an already scanned image without pushing it through the registry (a set-up shortcut for tests and
    /// benchmarks that need many artifacts). <paramref name="report"/> is the report object; null = a clean report.</summary>
    public SimArtifact AddScannedArtifact(string project, string repository, string digest, string? tag, DateTimeOffset pushedAt, JsonObject? report = null)
    {
        lock (Sync)
        {
            var artifact = new SimArtifact
            {
                Id = NextId(),
                Project = project,
                Repository = repository,
                Digest = digest,
                ManifestMediaType = "application/vnd.oci.image.manifest.v1+json",
                ConfigMediaType = "application/vnd.oci.image.config.v1+json",
                ArtifactType = "application/vnd.oci.image.config.v1+json",
                Size = 1024,
                PushedAt = pushedAt,
            };
            if (tag is not null)
            {
                artifact.Tags.Add(tag);
            }

            artifact.Scan = new SimScan { ReportId = Guid.NewGuid().ToString(), Status = "Success", StartedAt = pushedAt, EndedAt = pushedAt };
            artifact.Scan.Report = report ?? new JsonObject
            {
                ["scanner"] = new JsonObject { ["name"] = "Trivy", ["vendor"] = "Aqua Security", ["version"] = "v0.65.0" },
                ["severity"] = "None",
                ["vulnerabilities"] = new JsonArray(),
            };
            Artifacts.Add(artifact);
            return artifact;
        }
    }

    /// <summary>Every report a scan produces carries its own generation time (scanner-adapter-openapi-v1.1.yaml:298
    /// `generated_at`, "the time of the report generated"), not the time written in a fixture.</summary>
    internal static void StampReport(JsonObject report, DateTimeOffset generatedAt) =>
        report["generated_at"] = generatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Replaces an artifact's scan report, as a rescan in Harbor that found something new would.</summary>
    public void ReplaceReport(SimArtifact artifact, JsonObject report, TimeProvider? time = null)
    {
        lock (Sync)
        {
            artifact.Scan ??= new SimScan { ReportId = Guid.NewGuid().ToString() };
            artifact.Scan.Status = "Success";
            artifact.Scan.EndedAt = (time ?? TimeProvider.System).GetUtcNow();
            StampReport(report, artifact.Scan.EndedAt.Value);
            artifact.Scan.Report = report;
        }
    }

    public SimArtifact? FindArtifact(string project, string repository, string reference)
    {
        lock (Sync)
        {
            return Artifacts.FirstOrDefault(a => a.Project == project && a.Repository == repository
                && (a.Digest == reference || a.Tags.Contains(reference)));
        }
    }

    /// <summary>Requests served, by kind (<c>api</c>, <c>registry</c>, <c>token</c>) and User-Agent, faults included;
    /// load drivers read calls per artifact from it.</summary>
    public IReadOnlyDictionary<(string Kind, string UserAgent), long> RequestCounts => new Dictionary<(string Kind, string UserAgent), long>(_requests);

    internal void CountRequest(string kind, string userAgent) => _requests.AddOrUpdate((kind, userAgent), 1, (_, n) => n + 1);

    /// <summary>Whether <see cref="RequestLog"/> is kept (off by default: load runs serve millions of requests).</summary>
    public bool KeepRequestLog { get; set; }

    /// <summary>Every request served while <see cref="KeepRequestLog"/> was on, in arrival order, faults included: tests that
    /// bound the requests per artifact tell project-level reads from per-artifact ones by the path.</summary>
    public IReadOnlyList<SimRequest> RequestLog => _requestLog.ToList();

    internal void LogRequest(Func<SimRequest> request)
    {
        if (KeepRequestLog)
        {
            _requestLog.Enqueue(request());
        }
    }

    public IReadOnlyList<WebhookDelivery> Deliveries
    {
        get
        {
            lock (_deliveries)
            {
                return _deliveries.ToList();
            }
        }
    }

    internal void RecordDelivery(WebhookDelivery delivery)
    {
        lock (_deliveries)
        {
            _deliveries.Add(delivery);
        }

        _deliverySignal.Release();
    }

    /// <summary>Waits until a delivery matching <paramref name="match"/> was made, or the timeout passes.</summary>
    public async Task<WebhookDelivery?> WaitForDeliveryAsync(Func<WebhookDelivery, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        while (true)
        {
            var found = Deliveries.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            try
            {
                await _deliverySignal.WaitAsync(TimeSpan.FromMilliseconds(100), limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Deliveries.FirstOrDefault(match);
            }
        }
    }
}
