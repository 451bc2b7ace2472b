using System.Globalization;
using System.Net;
using System.Text.Json;
using HarborBridge.Core.Harbor;
using Microsoft.Extensions.Logging;
using RestSharp;
using RestSharp.Authenticators;
using RestSharp.Serializers.Json;

namespace HarborBridge.Harbor.Api;

/// <summary>Harbor v2.0 API over RestSharp. The <see cref="HttpClient"/> comes from IHttpClientFactory with the
/// resilience pipeline (see <see cref="Http.HarborResilience"/>); RestSharp adds no retries or timeouts of its own.</summary>
internal sealed partial class HarborClient : IHarborClient, IHarborAccessClient
{
    public const string HttpClientName = "harbor";

    private const string ResourceNameHeader = "X-Is-Resource-Name";
    private const string AcceptVulnerabilitiesHeader = "X-Accept-Vulnerabilities";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly RestClient _rest;
    private readonly ILogger<HarborClient> _logger;

    public HarborClient(HttpClient httpClient, Microsoft.Extensions.Options.IOptions<HarborOptions> options, ILogger<HarborClient> logger)
    {
        _logger = logger;
        var harbor = options.Value;
        if (!harbor.IsConfigured)
        {
            throw new InvalidOperationException("Harbor is not configured: set HarborBridge:Harbor:Url (and Username/Password).");
        }

        var restOptions = new RestClientOptions(new Uri(harbor.Url!.TrimEnd('/') + "/api/v2.0/"))
        {
            ThrowOnAnyError = false,
            FailOnDeserializationError = false,
            // Attempt and total timeouts come from the resilience pipeline; RestSharp's own 100 s default would cut across them.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(harbor.Username))
        {
            restOptions.Authenticator = new HttpBasicAuthenticator(harbor.Username, harbor.Password ?? "", System.Text.Encoding.UTF8);
        }

        _rest = new RestClient(httpClient, restOptions, disposeHttpClient: false, configureSerialization: s => s.UseSystemTextJson(Json));
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new RestRequest("ping"), "ping", cancellationToken);
        return response.IsSuccessStatusCode;
    }

    public async Task<HarborSystemInfo> GetSystemInfoAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new RestRequest("systeminfo"), "get system info", cancellationToken);
        var info = Read<GeneralInfoDto>(EnsureSuccess(response, "get system info"), "get system info");
        return new HarborSystemInfo(info.HarborVersion, info.ExternalUrl, info.NotificationEnable, info.ReadOnly);
    }

    public async Task<HarborArtifact?> GetArtifactAsync(string project, string repository, string reference, CancellationToken cancellationToken)
    {
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference))
            .AddHeader(AcceptVulnerabilitiesHeader, HarborReportMimeTypes.AcceptHeaderValue)
            .AddQueryParameter("with_tag", "true")
            .AddQueryParameter("with_label", "true")
            .AddQueryParameter("with_scan_overview", "true")
            .AddQueryParameter("with_accessory", "true");
        var response = await SendAsync(request, "get artifact", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : Read<ArtifactDto>(EnsureSuccess(response, "get artifact"), "get artifact").ToModel();
    }

    public async Task<ScanStartResult> StartScanAsync(string project, string repository, string reference, CancellationToken cancellationToken)
    {
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference) + "/scan", Method.Post)
            .AddJsonBody(new ScanTypeDto("vulnerability"));
        var response = await SendAsync(request, "start scan", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return ScanStartResult.AlreadyRunning;
        }

        EnsureSuccess(response, "start scan");
        return ScanStartResult.Started;
    }

    public async Task StopScanAsync(string project, string repository, string reference, CancellationToken cancellationToken)
    {
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference) + "/scan/stop", Method.Post)
            .AddJsonBody(new ScanTypeDto("vulnerability"));
        EnsureSuccess(await SendAsync(request, "stop scan", cancellationToken), "stop scan");
    }

    public async Task<HarborVulnerabilityReport?> GetVulnerabilityReportAsync(string project, string repository, string reference, CancellationToken cancellationToken)
    {
        const string operation = "get vulnerability report";
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference) + "/additions/vulnerabilities")
            .AddHeader(AcceptVulnerabilitiesHeader, HarborReportMimeTypes.AcceptHeaderValue);
        var response = EnsureSuccess(await SendAsync(request, operation, cancellationToken), operation);
        using var document = Parse(response, operation);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw Unreadable(response, operation, "the body is not a JSON object");
        }

        // One key (the first accepted MIME type with a report), or {} when there is no report.
        foreach (var preferred in new[] { HarborReportMimeTypes.Vulnerability11, HarborReportMimeTypes.HarborVulnerability10 })
        {
            if (document.RootElement.TryGetProperty(preferred, out var report) && report.ValueKind == JsonValueKind.Object)
            {
                return new HarborVulnerabilityReport(preferred, report.GetRawText());
            }
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                return new HarborVulnerabilityReport(property.Name, property.Value.GetRawText());
            }
        }

        return null;
    }

    public async Task<HarborProject?> GetProjectAsync(string project, CancellationToken cancellationToken)
    {
        var response = await SendAsync(ByName(new RestRequest($"projects/{HarborPaths.Project(project)}")), "get project", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : Read<ProjectDto>(EnsureSuccess(response, "get project"), "get project").ToModel();
    }

    public async Task UpdateProjectAsync(string project, HarborProjectUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var body = new ProjectReqDto(update.Metadata?.ToDictionary(), update.CveAllowlist?.ToDto());
        var request = ByName(new RestRequest($"projects/{HarborPaths.Project(project)}", Method.Put)).AddJsonBody(body);
        EnsureSuccess(await SendAsync(request, "update project", cancellationToken), "update project");
    }

    public async Task<HarborCveAllowlist> GetSystemCveAllowlistAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new RestRequest("system/CVEAllowlist"), "get system CVE allowlist", cancellationToken);
        return Read<CveAllowlistDto>(EnsureSuccess(response, "get system CVE allowlist"), "get system CVE allowlist").ToModel();
    }

    public async Task<bool> CreateProjectAsync(NewHarborProject project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(project.Name);
        var body = new ProjectReqDto(project.Metadata.ToDictionary(), null) { ProjectName = project.Name };
        var response = await SendAsync(new RestRequest("projects", Method.Post).AddJsonBody(body), "create project", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }

        EnsureSuccess(response, "create project");
        return true;
    }

    public async Task<IReadOnlyDictionary<string, string>> GetProjectMetadataAsync(string project, CancellationToken cancellationToken)
    {
        var request = ByName(new RestRequest($"projects/{HarborPaths.Project(project)}/metadatas/"));
        var response = EnsureSuccess(await SendAsync(request, "get project metadata", cancellationToken), "get project metadata");
        return Read<Dictionary<string, string>>(response, "get project metadata");
    }

    public async Task SetProjectMetadataAsync(string project, string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        var request = ByName(new RestRequest($"projects/{HarborPaths.Project(project)}/metadatas/{Uri.EscapeDataString(key)}", Method.Put))
            .AddJsonBody(new Dictionary<string, string> { [key] = value });
        EnsureSuccess(await SendAsync(request, "set project metadata", cancellationToken), "set project metadata");
    }

    public async Task<bool> DeleteProjectMetadataAsync(string project, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var request = ByName(new RestRequest($"projects/{HarborPaths.Project(project)}/metadatas/{Uri.EscapeDataString(key)}", Method.Delete));
        var response = await SendAsync(request, "delete project metadata", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "delete project metadata");
        return true;
    }

    public async Task<HarborPage<HarborProject>> ListProjectsAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        var request = Paged(new RestRequest("projects"), page, pageSize);
        var response = EnsureSuccess(await SendAsync(request, "list projects", cancellationToken), "list projects");
        return ToPage(response, Read<List<ProjectDto>>(response, "list projects").Select(p => p.ToModel()).ToList());
    }

    public async Task<HarborPage<HarborRepository>> ListRepositoriesAsync(string project, int page, int pageSize, CancellationToken cancellationToken)
    {
        var request = Paged(new RestRequest($"projects/{HarborPaths.Project(project)}/repositories"), page, pageSize);
        var response = EnsureSuccess(await SendAsync(request, "list repositories", cancellationToken), "list repositories");
        return ToPage(response, Read<List<RepositoryDto>>(response, "list repositories").Select(r => r.ToModel()).ToList());
    }

    public async Task<HarborPage<HarborArtifact>> ListArtifactsAsync(string project, string repository, int page, int pageSize, CancellationToken cancellationToken)
    {
        var request = Paged(new RestRequest(HarborPaths.Artifacts(project, repository)), page, pageSize)
            .AddHeader(AcceptVulnerabilitiesHeader, HarborReportMimeTypes.AcceptHeaderValue)
            .AddQueryParameter("with_tag", "true")
            .AddQueryParameter("with_label", "true")
            .AddQueryParameter("with_scan_overview", "true")
            .AddQueryParameter("with_accessory", "true");
        var response = EnsureSuccess(await SendAsync(request, "list artifacts", cancellationToken), "list artifacts");
        return ToPage(response, Read<List<ArtifactDto>>(response, "list artifacts").Select(a => a.ToModel()).ToList());
    }

    public async Task<HarborPage<HarborArtifact>> ListArtifactsPushedAsync(string project, string repository, DateTimeOffset? pushedFrom, DateTimeOffset? pushedTo,
        int page, int pageSize, CancellationToken cancellationToken)
    {
        var request = Paged(new RestRequest(HarborPaths.Artifacts(project, repository)), page, pageSize)
            .AddQueryParameter("with_tag", "true")
            .AddQueryParameter("sort", "-push_time");
        if (pushedFrom is not null || pushedTo is not null)
        {
            request.AddQueryParameter("q", $"push_time=[{HarborTime(pushedFrom)}~{HarborTime(pushedTo)}]");
        }

        var response = EnsureSuccess(await SendAsync(request, "list artifacts", cancellationToken), "list artifacts");
        return ToPage(response, Read<List<ArtifactDto>>(response, "list artifacts").Select(a => a.ToModel()).ToList());
    }

    /// <summary>Harbor's query time format (swagger: <c>"2020-04-09 02:36:00"</c>, UTC); an open bound is left empty.</summary>
    internal static string HarborTime(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";

    public async Task<long> CreateLabelAsync(NewHarborLabel label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Scope is not ("g" or "p") || (label.Scope == "p" && label.ProjectId is null))
        {
            throw new ArgumentException("A label's scope is 'g' (global) or 'p' with a project id.", nameof(label));
        }

        var body = new LabelDto(null, label.Name, label.Description, label.Color, label.Scope, label.Scope == "p" ? label.ProjectId : null);
        var request = new RestRequest("labels", Method.Post).AddJsonBody(body);
        var response = EnsureSuccess(await SendAsync(request, "create label", cancellationToken), "create label");
        return IdFromLocation(response, "create label");
    }

    public async Task<IReadOnlyList<HarborLabel>> FindLabelsAsync(string name, string scope, long? projectId, CancellationToken cancellationToken)
    {
        var request = new RestRequest("labels").AddQueryParameter("name", name).AddQueryParameter("scope", scope);
        if (projectId is { } id)
        {
            request.AddQueryParameter("project_id", id.ToString(CultureInfo.InvariantCulture));
        }

        var response = EnsureSuccess(await SendAsync(request, "find labels", cancellationToken), "find labels");
        // Harbor matches the name fuzzily; keep exact matches only.
        return Read<List<LabelDto>>(response, "find labels").Select(l => l.ToModel()).Where(l => l.Name == name).ToList();
    }

    public async Task AddLabelAsync(string project, string repository, string reference, long labelId, CancellationToken cancellationToken)
    {
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference) + "/labels", Method.Post)
            .AddJsonBody(new LabelRefDto(labelId));
        var response = await SendAsync(request, "add label", cancellationToken);
        if (response.StatusCode != HttpStatusCode.Conflict)
        {
            EnsureSuccess(response, "add label");
        }
    }

    public async Task<bool> RemoveLabelAsync(string project, string repository, string reference, long labelId, CancellationToken cancellationToken)
    {
        var path = HarborPaths.Artifact(project, repository, reference) + "/labels/" + labelId.ToString(CultureInfo.InvariantCulture);
        var response = await SendAsync(new RestRequest(path, Method.Delete), "remove label", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "remove label");
        return true;
    }

    public async Task<IReadOnlyList<HarborAccessory>> ListAccessoriesAsync(string project, string repository, string reference, CancellationToken cancellationToken)
    {
        var request = Paged(new RestRequest(HarborPaths.Artifact(project, repository, reference) + "/accessories"), 1, 100);
        var response = EnsureSuccess(await SendAsync(request, "list accessories", cancellationToken), "list accessories");
        return Read<List<AccessoryDto>>(response, "list accessories").Select(a => a.ToModel()).ToList();
    }

    public async Task CopyArtifactAsync(string targetProject, string targetRepository, string sourceProject, string sourceRepository, string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceProject);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceRepository);
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        // `from` is an ordinary query value: escaped once, with '@' before a digest and ':' before a tag.
        var separator = reference.Contains(':', StringComparison.Ordinal) ? "@" : ":";
        var request = new RestRequest(HarborPaths.Artifacts(targetProject, targetRepository), Method.Post)
            .AddQueryParameter("from", $"{sourceProject}/{sourceRepository}{separator}{reference}");
        EnsureSuccess(await SendAsync(request, "copy artifact", cancellationToken), "copy artifact");
    }

    public async Task DeleteArtifactAsync(string project, string repository, string reference, CancellationToken cancellationToken)
    {
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference), Method.Delete);
        EnsureSuccess(await SendAsync(request, "delete artifact", cancellationToken), "delete artifact");
    }

    public async Task DeleteTagAsync(string project, string repository, string reference, string tag, CancellationToken cancellationToken)
    {
        var request = new RestRequest(HarborPaths.Artifact(project, repository, reference) + "/tags/" + HarborPaths.Reference(tag), Method.Delete);
        EnsureSuccess(await SendAsync(request, "delete tag", cancellationToken), "delete tag");
    }

    public async Task<IReadOnlyList<HarborWebhookPolicy>> ListWebhookPoliciesAsync(string project, CancellationToken cancellationToken)
    {
        var request = ByName(Paged(new RestRequest($"projects/{HarborPaths.Project(project)}/webhook/policies"), 1, 100));
        var response = EnsureSuccess(await SendAsync(request, "list webhook policies", cancellationToken), "list webhook policies");
        return Read<List<WebhookPolicyDto>>(response, "list webhook policies").Select(p => p.ToModel()).ToList();
    }

    public async Task<long> CreateWebhookPolicyAsync(string project, HarborWebhookPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var request = ByName(new RestRequest($"projects/{HarborPaths.Project(project)}/webhook/policies", Method.Post))
            .AddJsonBody(policy.ToDto() with { Enabled = true });
        var response = EnsureSuccess(await SendAsync(request, "create webhook policy", cancellationToken), "create webhook policy");
        return IdFromLocation(response, "create webhook policy");
    }

    public async Task UpdateWebhookPolicyAsync(string project, long policyId, HarborWebhookPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var path = $"projects/{HarborPaths.Project(project)}/webhook/policies/{policyId.ToString(CultureInfo.InvariantCulture)}";
        var request = ByName(new RestRequest(path, Method.Put)).AddJsonBody(policy.ToDto() with { Id = policyId });
        EnsureSuccess(await SendAsync(request, "update webhook policy", cancellationToken), "update webhook policy");
    }
}
