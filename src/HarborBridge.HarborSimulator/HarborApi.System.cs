using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>System-level endpoints: the system CVE allowlist (swagger.yaml <c>/system/CVEAllowlist</c>: any
/// authenticated user may read it, only a system admin may write it).</summary>
internal sealed partial class HarborApi
{
    private IEnumerable<Route> SystemRoutes() =>
    [
        new("GET", ["system", "CVEAllowlist"], _ => Task.FromResult(SystemAllowlist())),
        new("PUT", ["system", "CVEAllowlist"], PutSystemAllowlistAsync),
        new("POST", ["system", "scanAll", "schedule"], ScanAllAsync),
    ];

    /// <summary><c>POST …/scan</c>, with an optional body <c>{"scan_type": "vulnerability" | "sbom"}</c> (swagger.yaml ScanType).</summary>
    private async Task<IResult> StartScanAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken);
        var scanType = body?["scan_type"]?.GetValue<string>() ?? WebhookSender.VulnerabilityScan;
        if (scanType is not (WebhookSender.VulnerabilityScan or WebhookSender.SbomScan))
        {
            return SimHttp.Error(400, "BAD_REQUEST", $"scan type {scanType} is not supported");
        }

        return WithArtifact(c, a =>
        {
            if (!a.Scannable && !a.IsIndex)
            {
                return SimHttp.Error(400, "BAD_REQUEST", $"the configured scanner Trivy does not support scanning artifact with mime type {a.ManifestMediaType}");
            }

            if (scanType == WebhookSender.SbomScan)
            {
                scans.StartSbom(a, c.User);
                return Results.StatusCode(202);
            }

            return scans.StartAll(a, c.User)
                ? Results.StatusCode(202)
                : SimHttp.Error(409, "CONFLICT", "a previous scan process is Running");
        });
    }

    /// <summary>Scan-all now (<c>{"schedule": {"type": "Manual"}}</c>); other schedule types are accepted and not run
    /// (<see cref="HarborSimulatorHandle.RunScheduledScanAll"/> fires the schedule in tests).</summary>
    private async Task<IResult> ScanAllAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken);
        if (body?["schedule"]?["type"]?.GetValue<string>() == "Manual")
        {
            scans.ScanAll(c.User);
        }

        return Results.StatusCode(201);
    }

    private IResult SystemAllowlist()
    {
        lock (state.Sync)
        {
            // The system list is the allowlist of project 0 (src/pkg/allowlist/manager.go:88-91).
            return SimHttp.Json(new JsonObject
            {
                ["project_id"] = 0,
                ["expires_at"] = state.SystemAllowlistExpiresAt,
                ["items"] = new JsonArray(state.SystemAllowlistCves.Select(id => (JsonNode)new JsonObject { ["cve_id"] = id }).ToArray()),
            });
        }
    }

    private async Task<IResult> PutSystemAllowlistAsync(Call c)
    {
        if (c.User != "admin")
        {
            return SimHttp.Error(403, "FORBIDDEN", "only the system admin may change the system CVE allowlist");
        }

        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        var (ids, expiresAt) = ReadAllowlist(body);
        lock (state.Sync)
        {
            state.SystemAllowlistCves = ids;
            state.SystemAllowlistExpiresAt = expiresAt;
        }

        return Results.Ok();
    }

    /// <summary>An allowlist body, validated as Harbor's <c>allowlist.Validate</c> does: no empty or whitespace-only id,
    /// no duplicate (src/pkg/allowlist/validator.go:46-61).</summary>
    private static (List<string> Ids, long? ExpiresAt) ReadAllowlist(JsonObject allowlist)
    {
        var ids = allowlist["items"]?.AsArray().Select(i => i?["cve_id"]?.GetValue<string>() ?? "").ToList() ?? [];
        if (ids.Any(id => id.Trim().Length == 0))
        {
            throw new BadRequestException("empty or whitespace-only CVE ID in allowlist");
        }

        if (ids.GroupBy(id => id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new BadRequestException($"duplicate CVE ID in allowlist: {duplicate.Key}");
        }

        return (ids, allowlist["expires_at"]?.GetValue<long>());
    }
}
