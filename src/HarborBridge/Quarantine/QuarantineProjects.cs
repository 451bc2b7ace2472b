using HarborBridge.Core.Harbor;

namespace HarborBridge.Quarantine;

/// <summary>What <see cref="QuarantineProjects.EnsureAsync"/> found.</summary>
internal enum QuarantineProjectState
{
    /// <summary>Known to exist (looked up earlier in this process, or found now).</summary>
    Existed,

    /// <summary>HarborBridge created it just now.</summary>
    Created,

    /// <summary>Missing at the lookup, but another replica created it first (Harbor answered 409).</summary>
    CreatedByAnother,
}

/// <summary>
/// Makes sure the <c>move</c> strategy's quarantine project exists before anything is quarantined into it: looked up at
/// most once per process and name (then cached), and created when missing as a private project whose artifacts nobody
/// can pull (<c>prevent_vul</c> on, threshold <c>none</c>). A singleton; the Harbor client comes from the caller's scope.
/// </summary>
internal sealed partial class QuarantineProjects(ILogger<QuarantineProjects> logger) : IDisposable
{
    /// <summary>The metadata a quarantine project is created with (the reference request of Harbor's API examples).</summary>
    public static readonly IReadOnlyDictionary<string, string> LockedMetadata = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [HarborProjectMetadata.Public] = "false",
        [HarborProjectMetadata.PreventVulnerable] = "true",
        [HarborProjectMetadata.Severity] = "none",
        [HarborProjectMetadata.AutoScan] = "false",
    };

    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Looks the project up (once per process) and creates it when missing. Harbor's refusals (403 when the
    /// robot lacks the system permission <c>project: create</c>) come out as <see cref="HarborApiException"/>; nothing
    /// is cached then, so the next quarantine tries again.</summary>
    public async Task<QuarantineProjectState> EnsureAsync(IHarborClient harbor, string project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(harbor);
        lock (_known)
        {
            if (_known.Contains(project))
            {
                return QuarantineProjectState.Existed;
            }
        }

        // One lookup per process even when several consumers quarantine at once.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            lock (_known)
            {
                if (_known.Contains(project))
                {
                    return QuarantineProjectState.Existed;
                }
            }

            var state = QuarantineProjectState.Existed;
            if (await harbor.GetProjectAsync(project, cancellationToken) is { } existing)
            {
                if (existing.Metadata.GetValueOrDefault(HarborProjectMetadata.Public) == "true"
                    || existing.Metadata.GetValueOrDefault(HarborProjectMetadata.PreventVulnerable) != "true")
                {
                    LogNotLocked(logger, project);
                }
            }
            else
            {
                var created = await harbor.CreateProjectAsync(new NewHarborProject(project, LockedMetadata), cancellationToken);
                state = created ? QuarantineProjectState.Created : QuarantineProjectState.CreatedByAnother;
                if (created)
                {
                    LogCreated(logger, project);
                }
            }

            lock (_known)
            {
                _known.Add(project);
            }

            return state;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets a project (e.g. Harbor no longer finds it), so that the next quarantine looks it up again.</summary>
    public void Forget(string project)
    {
        lock (_known)
        {
            _known.Remove(project);
        }
    }

    public void Dispose() => _gate.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the quarantine project {QuarantineProject} (private, prevent_vul true, severity none)")]
    private static partial void LogCreated(ILogger logger, string quarantineProject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The quarantine project {QuarantineProject} is public or lets vulnerable artifacts be pulled (prevent_vul is not true): moved artifacts can still be pulled from it")]
    private static partial void LogNotLocked(ILogger logger, string quarantineProject);
}
