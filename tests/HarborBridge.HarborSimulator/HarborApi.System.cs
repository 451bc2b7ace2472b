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
    ];

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
