namespace HarborBridge.Core.Harbor;

/// <summary>Port to Harbor's v2.0 REST API. Project names are names (never ids); repository names are without
/// the project part (<c>team/api</c>); a reference is a digest (preferred) or a tag. Get calls return null when
/// Harbor answers 404; every other failure is a <see cref="HarborApiException"/>.</summary>
public interface IHarborClient
{
    Task<bool> PingAsync(CancellationToken cancellationToken);

    Task<HarborSystemInfo> GetSystemInfoAsync(CancellationToken cancellationToken);

    /// <summary>With tags, labels, accessories and the scan overview.</summary>
    Task<HarborArtifact?> GetArtifactAsync(string project, string repository, string reference, CancellationToken cancellationToken);

    /// <summary>Starts a vulnerability scan; a scan already Pending/Running (409) is reported, not thrown.</summary>
    Task<ScanStartResult> StartScanAsync(string project, string repository, string reference, CancellationToken cancellationToken);

    Task StopScanAsync(string project, string repository, string reference, CancellationToken cancellationToken);

    /// <summary>The full report, or null when Harbor has none (<c>{}</c>).</summary>
    Task<HarborVulnerabilityReport?> GetVulnerabilityReportAsync(string project, string repository, string reference, CancellationToken cancellationToken);

    Task<HarborProject?> GetProjectAsync(string project, CancellationToken cancellationToken);

    Task UpdateProjectAsync(string project, HarborProjectUpdate update, CancellationToken cancellationToken);

    /// <summary>The system CVE allowlist (<c>GET /system/CVEAllowlist</c>, readable by any authenticated user). Harbor's
    /// pull check uses it for every project whose <c>reuse_sys_cve_allowlist</c> is not "false".</summary>
    Task<HarborCveAllowlist> GetSystemCveAllowlistAsync(CancellationToken cancellationToken);

    /// <summary>Creates a project (<c>POST /projects</c>, needs the system permission <c>project: create</c>). Returns
    /// false when a project of that name exists already (409), e.g. created meanwhile by another replica.</summary>
    Task<bool> CreateProjectAsync(NewHarborProject project, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<string, string>> GetProjectMetadataAsync(string project, CancellationToken cancellationToken);

    /// <summary>Sets one metadata value (<see cref="HarborProjectMetadata"/> keys; values are strings).</summary>
    Task SetProjectMetadataAsync(string project, string key, string value, CancellationToken cancellationToken);

    /// <summary>Removes one metadata key (to restore a project where the key was absent); false when it was absent (404).</summary>
    Task<bool> DeleteProjectMetadataAsync(string project, string key, CancellationToken cancellationToken);

    Task<HarborPage<HarborProject>> ListProjectsAsync(int page, int pageSize, CancellationToken cancellationToken);

    Task<HarborPage<HarborRepository>> ListRepositoriesAsync(string project, int page, int pageSize, CancellationToken cancellationToken);

    Task<HarborPage<HarborArtifact>> ListArtifactsAsync(string project, string repository, int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>Artifacts newest push first (<c>sort=-push_time</c>), only those pushed in [<paramref name="pushedFrom"/>,
    /// <paramref name="pushedTo"/>] (Harbor's <c>q=push_time=[from~to]</c> range query) when a bound is given. Without scan
    /// overviews, labels or accessories: the light listing reconciliation pages through.</summary>
    Task<HarborPage<HarborArtifact>> ListArtifactsPushedAsync(string project, string repository, DateTimeOffset? pushedFrom, DateTimeOffset? pushedTo,
        int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>Creates a label and returns its id (from <c>Location</c>). A duplicate name gets a 409 exception.</summary>
    Task<long> CreateLabelAsync(NewHarborLabel label, CancellationToken cancellationToken);

    /// <summary>Labels by exact name in a scope (<c>g</c>, or <c>p</c> with a project id).</summary>
    Task<IReadOnlyList<HarborLabel>> FindLabelsAsync(string name, string scope, long? projectId, CancellationToken cancellationToken);

    /// <summary>Adds a label; already attached (409) counts as success.</summary>
    Task AddLabelAsync(string project, string repository, string reference, long labelId, CancellationToken cancellationToken);

    /// <summary>Removes a label; returns false when it was not attached (404).</summary>
    Task<bool> RemoveLabelAsync(string project, string repository, string reference, long labelId, CancellationToken cancellationToken);

    Task<IReadOnlyList<HarborAccessory>> ListAccessoriesAsync(string project, string repository, string reference, CancellationToken cancellationToken);

    /// <summary>Copies an artifact (with its tags and accessories) into another project/repository.</summary>
    Task CopyArtifactAsync(string targetProject, string targetRepository, string sourceProject, string sourceRepository, string reference, CancellationToken cancellationToken);

    /// <summary>Deletes the whole artifact (every tag, accessories, label links).</summary>
    Task DeleteArtifactAsync(string project, string repository, string reference, CancellationToken cancellationToken);

    Task DeleteTagAsync(string project, string repository, string reference, string tag, CancellationToken cancellationToken);

    Task<IReadOnlyList<HarborWebhookPolicy>> ListWebhookPoliciesAsync(string project, CancellationToken cancellationToken);

    /// <summary>Creates an enabled policy and returns its id.</summary>
    Task<long> CreateWebhookPolicyAsync(string project, HarborWebhookPolicy policy, CancellationToken cancellationToken);

    /// <summary>Replaces the policy with this id.</summary>
    Task UpdateWebhookPolicyAsync(string project, long policyId, HarborWebhookPolicy policy, CancellationToken cancellationToken);
}
