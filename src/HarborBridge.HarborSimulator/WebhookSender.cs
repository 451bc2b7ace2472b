using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Builds Harbor's webhook payloads (Default and CloudEvents, key order as Harbor writes them; see
/// tests/fixtures/harbor/webhooks/reconstructed/) and delivers them to the project's enabled policies.</summary>
internal sealed partial class WebhookSender(
    SimulatorState state,
    SimulatorFaults faults,
    HarborSimulatorOptions options,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<WebhookSender> logger)
{
    public const string HttpClientName = "simulator-webhooks";
    public const string VulnerabilityMime = "application/vnd.security.vulnerability.report; version=1.1";

    private static readonly Dictionary<string, string> CloudEventTypes = new(StringComparer.Ordinal)
    {
        ["PUSH_ARTIFACT"] = "harbor.artifact.pushed",
        ["PULL_ARTIFACT"] = "harbor.artifact.pulled",
        ["DELETE_ARTIFACT"] = "harbor.artifact.deleted",
        ["SCANNING_COMPLETED"] = "harbor.scan.completed",
        ["SCANNING_FAILED"] = "harbor.scan.failed",
        ["SCANNING_STOPPED"] = "harbor.scan.stopped",
    };

    public string ExternalHost { get; set; } = "";

    public void ArtifactPushed(SimArtifact artifact, string? tag, string @operator) =>
        Fire("PUSH_ARTIFACT", artifact, @operator, ArtifactResource(artifact, tag, null), includeCreated: true, scan: null);

    public void ArtifactDeleted(SimArtifact artifact, string @operator) =>
        Fire("DELETE_ARTIFACT", artifact, @operator, ArtifactResource(artifact, artifact.Tags.LastOrDefault(), null), includeCreated: true, scan: null);

    /// <summary>PULL_ARTIFACT: by tag, or by digest (then <c>tag</c> is the digest and the URL uses <c>@</c>).</summary>
    public void ArtifactPulled(SimArtifact artifact, string reference, string @operator)
    {
        var byDigest = reference.StartsWith("sha256:", StringComparison.Ordinal);
        var resource = ArtifactResource(artifact, byDigest ? null : reference, null);
        Fire("PULL_ARTIFACT", artifact, @operator, resource, includeCreated: true, scan: null);
    }

    /// <summary>SCANNING_*: <paramref name="scanType"/> "vulnerability" (a scan of the artifact), "" (scan-all or a
    /// scheduled scan) or "sbom".</summary>
    public void ScanFinished(string eventType, SimArtifact artifact, string @operator, string scanType = VulnerabilityScan) =>
        Fire(eventType, artifact, @operator, ScanResource(artifact, scanType), includeCreated: false, scan: ScanData(scanType));

    /// <summary>Harbor's NativeReportSummary keyed by MIME type, or null when never scanned.</summary>
    public static JsonObject? ScanOverview(SimArtifact artifact)
    {
        var scan = artifact.Scan;
        if (scan is null)
        {
            return null;
        }

        var success = scan.Status == "Success";
        var summary = new JsonObject
        {
            ["report_id"] = scan.ReportId,
            ["scan_status"] = scan.Status,
            ["severity"] = success ? ReportMath.Severity(scan.Report) : "",
            ["duration"] = scan.EndedAt is { } end ? (long)(end - scan.StartedAt).TotalSeconds : 0,
            ["summary"] = success ? ReportMath.Summary(scan.Report) : null,
            ["start_time"] = Rfc3339(scan.StartedAt),
            ["end_time"] = scan.EndedAt is { } e ? Rfc3339(e) : null,
        };
        if (success)
        {
            summary["scanner"] = new JsonObject { ["name"] = "Trivy", ["vendor"] = "Aqua Security", ["version"] = "v0.65.0" };
        }

        summary["complete_percent"] = success ? 100 : 0;
        return new JsonObject { [VulnerabilityMime] = summary };
    }

    private JsonObject ArtifactResource(SimArtifact artifact, string? tag, JsonObject? scanOverview)
    {
        var resource = new JsonObject { ["digest"] = artifact.Digest };
        var reference = tag ?? artifact.Digest;
        resource["tag"] = reference;
        resource["resource_url"] = tag is null
            ? $"{ExternalHost}/{artifact.FullName}@{artifact.Digest}"
            : $"{ExternalHost}/{artifact.FullName}:{tag}";
        if (scanOverview is not null)
        {
            resource["scan_overview"] = scanOverview;
        }

        return resource;
    }

    private void Fire(string eventType, SimArtifact artifact, string @operator, JsonObject resource, bool includeCreated, JsonObject? scan)
    {
        SimProject project;
        List<SimWebhookPolicy> policies;
        lock (state.Sync)
        {
            project = state.Projects[artifact.Project];
            policies = state.WebhookPolicies.Where(p => p.ProjectId == project.Id && p.Enabled && p.EventTypes.Contains(eventType)).ToList();
        }

        var occurredAt = time.GetUtcNow();
        var repository = new JsonObject();
        if (includeCreated)
        {
            repository["date_created"] = project.CreatedAt.ToUnixTimeSeconds();
        }

        repository["name"] = artifact.Repository;
        repository["namespace"] = artifact.Project;
        repository["repo_full_name"] = artifact.FullName;
        repository["repo_type"] = project.IsOn("public") ? "public" : "private";
        var requestId = Guid.NewGuid().ToString();

        foreach (var policy in policies)
        {
            foreach (var target in policy.Body["targets"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (target["type"]?.GetValue<string>() != "http" || target["address"]?.GetValue<string>() is not { } address)
                {
                    continue;
                }

                var eventData = new JsonObject { ["resources"] = new JsonArray(resource.DeepClone()), ["repository"] = repository.DeepClone() };
                if (scan is not null)
                {
                    eventData["scan"] = scan.DeepClone();
                }

                var format = target["payload_format"]?.GetValue<string>() ?? "Default";
                JsonObject payload;
                string contentType;
                if (format == "CloudEvents")
                {
                    contentType = "application/cloudevents+json";
                    payload = new JsonObject
                    {
                        ["specversion"] = "1.0",
                        ["id"] = Guid.NewGuid().ToString(),
                        ["source"] = $"/projects/{project.Id}/webhook/policies/{policy.Id}",
                        ["type"] = CloudEventTypes[eventType],
                        ["datacontenttype"] = "application/json",
                        ["time"] = occurredAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                        ["data"] = eventData,
                        ["operator"] = @operator,
                        ["requestid"] = requestId,
                    };
                }
                else
                {
                    contentType = "application/json";
                    payload = new JsonObject
                    {
                        ["type"] = eventType,
                        ["occur_at"] = occurredAt.ToUnixTimeSeconds(),
                        ["operator"] = @operator,
                        ["event_data"] = eventData,
                    };
                }

                var authHeader = target["auth_header"]?.GetValue<string>();
                _ = Task.Run(() => DeliverAsync(eventType, address, format, contentType, payload.ToJsonString(), authHeader));
            }
        }
    }

    private async Task DeliverAsync(string eventType, string address, string format, string contentType, string body, string? authHeader)
    {
        if (faults.DropWebhooks)
        {
            state.RecordDelivery(new WebhookDelivery(eventType, address, format, 1, null, Dropped: true, body, authHeader));
            return;
        }

        for (var attempt = 1; attempt <= Math.Max(1, options.WebhookAttempts); attempt++)
        {
            int? status = null;
            try
            {
                using var client = options.WebhookHandler is not null
                    ? httpClients.CreateClient(HttpClientName + "-inprocess")
                    : httpClients.CreateClient(HttpClientName);
                using var timeout = new CancellationTokenSource(options.WebhookTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(body, Encoding.UTF8) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
                if (!string.IsNullOrEmpty(authHeader))
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authHeader);
                }

                request.Headers.UserAgent.ParseAdd("Go-http-client/1.1");
                using var response = await client.SendAsync(request, timeout.Token);
                status = (int)response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                logger.LogInformation("Webhook {EventType} to {Address} attempt {Attempt} failed: {Error}", eventType, address, attempt, e.GetType().Name);
            }

            state.RecordDelivery(new WebhookDelivery(eventType, address, format, attempt, status, Dropped: false, body, authHeader, time.GetUtcNow()));
            if (status is >= 200 and < 300 || attempt >= options.WebhookAttempts)
            {
                return;
            }

            await Task.Delay(RetryDelay(attempt));
        }
    }

    private static string Rfc3339(DateTimeOffset value) => HarborTime.Rfc3339Nano(value);
}
