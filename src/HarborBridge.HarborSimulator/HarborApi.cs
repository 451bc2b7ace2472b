using System.Globalization;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>The subset of Harbor's <c>/api/v2.0</c> that HarborBridge uses, with Harbor's status codes and error
/// bodies. Routing is done on the raw request target so that the double encoding of repository names is checked
/// as Harbor's router does: one decoding by the router, one more for <c>repository_name</c>.</summary>
internal sealed partial class HarborApi(
    SimulatorState state,
    HarborSimulatorOptions options,
    ScanRunner scans,
    RegistryProxy registry,
    WebhookSender webhooks,
    TimeProvider time)
{
    private sealed record Route(string Method, string[] Parts, Func<Call, Task<IResult>> Handle, bool Anonymous = false);

    internal sealed record Call(HttpContext Http, Dictionary<string, string> Values, string User, CancellationToken CancellationToken)
    {
        public string? Query(string name) => Http.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;
    }

    private List<Route>? _routes;

    public async Task<IResult> HandleAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var raw = SimHttp.RawTarget(http);
        var path = raw.Split('?', 2)[0];
        var segments = path["/api/v2.0/".Length..].TrimEnd('/').Split('/');
        if (path.EndsWith('/') && segments[^1] == "metadatas")
        {
            segments = [.. segments, ""];
        }

        foreach (var route in _routes ??= Routes())
        {
            if (route.Method != http.Request.Method || route.Parts.Length != segments.Length)
            {
                continue;
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < segments.Length && ok; i++)
            {
                var part = route.Parts[i];
                if (part.StartsWith('{'))
                {
                    // Harbor's router sees the path decoded once: a single-encoded '/' splits the segment there.
                    var once = Uri.UnescapeDataString(segments[i]);
                    ok = !once.Contains('/', StringComparison.Ordinal);
                    values[part[1..^1]] = part == "{repository_name}" ? Uri.UnescapeDataString(once) : once;
                }
                else
                {
                    ok = part == segments[i];
                }
            }

            if (!ok)
            {
                continue;
            }

            var user = SimHttp.BasicUser(http.Request, options) ?? RobotUser(http.Request)?.FullName;
            if (user is null && !route.Anonymous)
            {
                return SimHttp.Error(401, "UNAUTHORIZED", "unauthorized");
            }

            if (user is not null && Denied(route, user, values, http) is { } denied)
            {
                return denied;
            }

            try
            {
                return await route.Handle(new Call(http, values, user ?? "", cancellationToken));
            }
            catch (BadRequestException e)
            {
                return SimHttp.Error(400, "BAD_REQUEST", e.Message);
            }
        }

        return SimHttp.Error(404, "NOT_FOUND", $"no route for {http.Request.Method} {path}");
    }

    private List<Route> Routes()
    {
        const string artifact = "projects/{project_name}/repositories/{repository_name}/artifacts/{reference}";
        return
        [
            new("GET", ["ping"], _ => Task.FromResult(SimHttp.Json(JsonValue.Create("Pong"))), Anonymous: true),
            new("GET", ["systeminfo"], c => Task.FromResult(SystemInfo(c)), Anonymous: true),
            new("GET", ["projects"], c => Task.FromResult(ListProjects(c))),
            new("POST", ["projects"], CreateProjectAsync),
            new("GET", ["projects", "{project_name_or_id}"], c => Task.FromResult(WithProject(c, p => SimHttp.Json(ProjectJson(p))))),
            new("PUT", ["projects", "{project_name_or_id}"], UpdateProjectAsync),
            new("GET", ["projects", "{project_name_or_id}", "metadatas", ""], c => Task.FromResult(WithProject(c, p => SimHttp.Json(Metadata(p))))),
            new("PUT", ["projects", "{project_name_or_id}", "metadatas", "{meta_name}"], UpdateMetadataAsync),
            new("DELETE", ["projects", "{project_name_or_id}", "metadatas", "{meta_name}"], c => Task.FromResult(WithProject(c, p => DeleteMetadata(c, p)))),
            new("GET", ["projects", "{project_name_or_id}", "webhook", "policies"], c => Task.FromResult(WithProject(c, p => ListPolicies(c, p)))),
            new("POST", ["projects", "{project_name_or_id}", "webhook", "policies"], CreatePolicyAsync),
            new("GET", ["projects", "{project_name_or_id}", "webhook", "policies", "{webhook_policy_id}"], c => Task.FromResult(WithPolicy(c, (_, p) => SimHttp.Json(PolicyJson(p))))),
            new("PUT", ["projects", "{project_name_or_id}", "webhook", "policies", "{webhook_policy_id}"], UpdatePolicyAsync),
            new("GET", ["projects", "{project_name}", "repositories"], c => Task.FromResult(ListRepositories(c))),
            new("GET", ["projects", "{project_name}", "repositories", "{repository_name}", "artifacts"], c => Task.FromResult(ListArtifacts(c))),
            new("POST", ["projects", "{project_name}", "repositories", "{repository_name}", "artifacts"], CopyArtifactAsync),
            new("GET", artifact.Split('/'), c => Task.FromResult(WithArtifact(c, a => SimHttp.Json(ArtifactJson(c, a))))),
            new("DELETE", artifact.Split('/'), DeleteArtifactAsync),
            new("POST", [.. artifact.Split('/'), "scan"], StartScanAsync),
            new("POST", [.. artifact.Split('/'), "scan", "stop"], StopScanAsync),
            new("GET", [.. artifact.Split('/'), "additions", "vulnerabilities"], c => Task.FromResult(WithArtifact(c, Vulnerabilities))),
            new("GET", [.. artifact.Split('/'), "accessories"], c => Task.FromResult(WithArtifact(c, a => Paged(c, AccessoriesJson(a))))),
            new("POST", [.. artifact.Split('/'), "labels"], AddLabelAsync),
            new("DELETE", [.. artifact.Split('/'), "labels", "{label_id}"], c => Task.FromResult(WithArtifact(c, a => RemoveLabel(c, a)))),
            new("DELETE", [.. artifact.Split('/'), "tags", "{tag_name}"], c => Task.FromResult(WithArtifact(c, a => DeleteTag(c, a)))),
            new("GET", ["labels"], c => Task.FromResult(ListLabels(c))),
            new("POST", ["labels"], CreateLabelAsync),
            .. SystemRoutes(),
            .. RobotRoutes(),
        ];
    }

    private IResult SystemInfo(Call c) => SimHttp.Json(new JsonObject
    {
        ["harbor_version"] = "v2.15.2-simulator",
        ["external_url"] = $"{c.Http.Request.Scheme}://{c.Http.Request.Host}",
        ["notification_enable"] = true,
        ["read_only"] = false,
    });

    /// <summary>Harbor's paging: page (1), page_size (10, at most 100), X-Total-Count and a Link header.</summary>
    private static IResult Paged(Call c, IReadOnlyList<JsonNode> all)
    {
        var page = int.TryParse(c.Query("page"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1;
        var size = int.TryParse(c.Query("page_size"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 10;
        if (size > 100)
        {
            return SimHttp.Error(422, "UNPROCESSABLE_ENTITY", "page_size in query should be less than or equal to 100");
        }

        var path = c.Http.Request.Path.ToString();
        var links = new List<string>();
        if (page > 1)
        {
            links.Add($"<{path}?page={page - 1}&page_size={size}>; rel=\"prev\"");
        }

        if ((long)page * size < all.Count)
        {
            links.Add($"<{path}?page={page + 1}&page_size={size}>; rel=\"next\"");
        }

        c.Http.Response.Headers["X-Total-Count"] = all.Count.ToString(CultureInfo.InvariantCulture);
        if (links.Count > 0)
        {
            c.Http.Response.Headers["Link"] = string.Join(" , ", links);
        }

        return SimHttp.Json(new JsonArray(all.Skip((page - 1) * size).Take(size).Select(n => n.DeepClone()).ToArray()));
    }
}
