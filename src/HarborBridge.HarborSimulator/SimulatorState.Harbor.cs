namespace HarborBridge.HarborSimulator;

/// <summary>State Harbor keeps beside projects and artifacts: the system CVE allowlist and what each registry token
/// grants.</summary>
public sealed partial class SimulatorState
{
    /// <summary>The system CVE allowlist (<c>GET|PUT /api/v2.0/system/CVEAllowlist</c>); the pull check uses it for every
    /// project that reuses it (<see cref="HarborPullCheck.EffectiveAllowlist"/>).</summary>
    public List<string> SystemAllowlistCves { get; set; } = [];

    /// <summary>Unix seconds; null = never expires.</summary>
    public long? SystemAllowlistExpiresAt { get; set; }

    /// <summary>The scopes each token was issued for (<c>repository:&lt;project&gt;/&lt;repo&gt;:pull,push</c>); Harbor's token
    /// security context answers <c>Can(action)</c> from them.</summary>
    public Dictionary<string, List<string>> TokenScopes { get; } = new(StringComparer.Ordinal);

    /// <summary>The actions a token grants on any repository of <paramref name="project"/>, as Harbor's token context
    /// checks a project-level resource.</summary>
    public IReadOnlySet<string> TokenActions(string token, string project)
    {
        lock (Sync)
        {
            var actions = new HashSet<string>(StringComparer.Ordinal);
            foreach (var scope in TokenScopes.GetValueOrDefault(token) ?? [])
            {
                foreach (var entry in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = entry.Split(':');
                    if (parts.Length == 3 && parts[0] == "repository" && parts[1].Split('/')[0] == project)
                    {
                        actions.UnionWith(parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(a => a == "*" ? "push" : a));
                    }
                }
            }

            return actions;
        }
    }
}

/// <summary>An SBOM generated for an artifact (Harbor stores it as an <c>sbom.harbor</c> accessory).</summary>
public sealed class SimSbom
{
    public required string ReportId { get; init; }

    public required string Digest { get; init; }

    public string Status { get; set; } = "Running";

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; set; }
}

public sealed partial class SimulatorState
{
    private readonly Dictionary<long, SimSbom> _sboms = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _scansStarted = new(StringComparer.Ordinal);

    /// <summary>Vulnerability scans started for a digest so far (any project), whoever asked.</summary>
    public int ScansStarted(string digest) => _scansStarted.GetValueOrDefault(digest);

    internal void CountScanStart(string digest) => _scansStarted.AddOrUpdate(digest, 1, (_, n) => n + 1);

    /// <summary>The artifact's latest SBOM generation, or null.</summary>
    public SimSbom? SbomOf(SimArtifact artifact)
    {
        lock (Sync)
        {
            return _sboms.GetValueOrDefault(artifact.Id);
        }
    }

    internal void SetSbom(SimArtifact artifact, SimSbom sbom)
    {
        lock (Sync)
        {
            _sboms[artifact.Id] = sbom;
        }
    }
}
