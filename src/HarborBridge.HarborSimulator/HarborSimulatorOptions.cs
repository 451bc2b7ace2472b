namespace HarborBridge.HarborSimulator;

/// <summary>How the simulator behaves. Everything has a default except <see cref="RegistryAddress"/>.</summary>
public sealed class HarborSimulatorOptions
{
    /// <summary><c>host:port</c> of the real docker-registry (plain HTTP) that <c>/v2/</c> is forwarded to.</summary>
    public required string RegistryAddress { get; init; }

    /// <summary>Users and robots with their passwords (HTTP Basic on the API and the token endpoint).</summary>
    public Dictionary<string, string> Users { get; init; } = new(StringComparer.Ordinal) { ["admin"] = "Harbor12345" };

    /// <summary>When true (default), <c>/v2/</c> wants a bearer token from <c>/service/token</c>, as Harbor always does,
    /// so that Harbor's token-based rules apply (<c>SkipPolicyChecking</c>: a push token and a cosign agent pass the pull
    /// checks). False opens the registry side to anyone (no token, so no bypass either).</summary>
    public bool RequireRegistryAuth { get; init; } = true;

    /// <summary>When true, <c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c> is answered from the recorded subjects and
    /// manifest PUTs with a subject get <c>OCI-Subject</c>, as Harbor 2.10+ does. When false (default) the registry's
    /// 404 comes through, as with docker-registry 2.8, and clients use the fallback tag.</summary>
    public bool ServeReferrersApi { get; init; }

    /// <summary>Operator named in webhooks for registry calls made without credentials.</summary>
    public string AnonymousOperator { get; init; } = "admin";

    /// <summary>Host (and port) used in <c>resource_url</c>; the simulator's own address when null.</summary>
    public string? ExternalHost { get; init; }

    /// <summary>Vulnerability report per repository (<c>project/repo</c>): a file in Harbor's addition format (the
    /// map keyed by MIME type, or the report object itself). Repositories not listed get <see cref="DefaultReportFile"/>,
    /// or a clean report when that is null.</summary>
    public Dictionary<string, string> Reports { get; init; } = new(StringComparer.Ordinal);

    public string? DefaultReportFile { get; init; }

    /// <summary>How long a scan runs before it completes or fails.</summary>
    public TimeSpan ScanDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Repositories (<c>project/repo</c>) whose scans end in Error (SCANNING_FAILED).</summary>
    public HashSet<string> FailingScans { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Delivery attempts per webhook (Harbor: 3) and the pause between them (Harbor: 15 s and more;
    /// shortened here so tests stay fast).</summary>
    public int WebhookAttempts { get; init; } = 3;

    public TimeSpan WebhookRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>When set, the pause before a retry is Harbor's back-off (16–74 s before the second attempt, 31–118 s
    /// before the third) times this factor, instead of <see cref="WebhookRetryDelay"/>: 1 for Harbor's real timing,
    /// e.g. 0.02 to keep its shape in a test.</summary>
    public double? HarborBackoffScale { get; init; }

    /// <summary>Harbor gives a webhook receiver 3 s.</summary>
    public TimeSpan WebhookTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Delivers webhooks through this handler instead of the network, e.g. a WebApplicationFactory's
    /// test server.</summary>
    public Func<HttpMessageHandler>? WebhookHandler { get; init; }
}
