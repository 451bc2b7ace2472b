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

    // ---- projects -----------------------------------------------------------------------------------------

    private SimProject? ResolveProject(Call c)
    {
        var key = c.Values.GetValueOrDefault("project_name_or_id") ?? c.Values["project_name"];
        var byName = !c.Values.ContainsKey("project_name_or_id")
            || c.Http.Request.Headers["X-Is-Resource-Name"].ToString().Equals("true", StringComparison.OrdinalIgnoreCase)
            || !long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        lock (state.Sync)
        {
            return byName
                ? state.Projects.GetValueOrDefault(key)
                : state.Projects.Values.FirstOrDefault(p => p.Id == long.Parse(key, CultureInfo.InvariantCulture));
        }
    }

    private IResult WithProject(Call c, Func<SimProject, IResult> then)
    {
        var project = ResolveProject(c);
        return project is null ? SimHttp.Error(404, "NOT_FOUND", $"project {c.Values.Values.First()} not found") : then(project);
    }

    private static JsonObject Metadata(SimProject p)
    {
        var result = new JsonObject();
        foreach (var (key, value) in p.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }

        return result;
    }

    private static JsonObject ProjectJson(SimProject p) => new()
    {
        ["project_id"] = p.Id,
        ["name"] = p.Name,
        ["metadata"] = Metadata(p),
        ["cve_allowlist"] = new JsonObject
        {
            ["project_id"] = p.Id,
            ["expires_at"] = p.AllowlistExpiresAt,
            ["items"] = new JsonArray(p.AllowlistCves.Select(id => (JsonNode)new JsonObject { ["cve_id"] = id }).ToArray()),
        },
        ["creation_time"] = p.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    private IResult ListProjects(Call c)
    {
        lock (state.Sync)
        {
            return Paged(c, state.Projects.Values.OrderBy(p => p.Id).Select(p => (JsonNode)ProjectJson(p)).ToList());
        }
    }

    private async Task<IResult> CreateProjectAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        var name = body["project_name"]?.GetValue<string>() ?? throw new BadRequestException("project_name required");
        if (name.Length > 255 || !ProjectName().IsMatch(name))
        {
            throw new BadRequestException($"project name {name} is not valid: lower case letters, digits and ._- between them");
        }

        var metadata = ReadMetadata(body["metadata"]);
        metadata.TryAdd("public", "false");
        lock (state.Sync)
        {
            // Checked and created under one lock, so that of two concurrent creations one gets 409 as in Harbor.
            if (state.Projects.ContainsKey(name))
            {
                return SimHttp.Error(409, "CONFLICT", $"The project named {name} already exists");
            }

            var project = state.CreateProject(name, metadata, time);
            return SimHttp.Created(c.Http, $"/api/v2.0/projects/{project.Id}");
        }
    }

    private async Task<IResult> UpdateProjectAsync(Call c)
    {
        var project = ResolveProject(c);
        if (project is null)
        {
            return SimHttp.Error(404, "NOT_FOUND", "project not found");
        }

        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        var metadata = ReadMetadata(body["metadata"]);
        var allowlist = body["cve_allowlist"] as JsonObject;
        if (allowlist?["project_id"]?.GetValue<long>() is { } owner && owner != 0 && owner != project.Id)
        {
            return SimHttp.Error(400, "BAD_REQUEST", "project_id in cve_allowlist does not match the project");
        }

        var list = allowlist is null ? default : ReadAllowlist(allowlist);
        lock (state.Sync)
        {
            foreach (var (key, value) in metadata)
            {
                project.Metadata[key] = value;
            }

            if (allowlist is not null)
            {
                (project.AllowlistCves, project.AllowlistExpiresAt) = list;
            }
        }

        return Results.Ok();
    }

    private async Task<IResult> UpdateMetadataAsync(Call c)
    {
        var project = ResolveProject(c);
        if (project is null)
        {
            return SimHttp.Error(404, "NOT_FOUND", "project not found");
        }

        var name = c.Values["meta_name"];
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject;
        if (body is null || body.Count != 1 || body[name] is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return SimHttp.Error(400, "BAD_REQUEST", $"the body must hold exactly one string value for {name}");
        }

        var metadata = ReadMetadata(body);
        lock (state.Sync)
        {
            project.Metadata[name] = metadata[name];
        }

        return Results.Ok();
    }

    private IResult DeleteMetadata(Call c, SimProject project)
    {
        lock (state.Sync)
        {
            return project.Metadata.Remove(c.Values["meta_name"]) ? Results.Ok() : SimHttp.Error(404, "NOT_FOUND", "metadata not found");
        }
    }

    private static Dictionary<string, string> ReadMetadata(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in node as JsonObject ?? [])
        {
            if (value is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                throw new BadRequestException($"metadata value of {key} must be a string");
            }

            var text = v.GetValue<string>();
            if (key == "severity")
            {
                text = text.ToLowerInvariant() switch
                {
                    "negligible" => "none",
                    "none" or "low" or "medium" or "high" or "critical" => text.ToLowerInvariant(),
                    _ => throw new BadRequestException($"invalid severity {text}"),
                };
            }
            else if (key is "public" or "auto_scan" or "prevent_vul" or "enable_content_trust_cosign" or "enable_content_trust" or "reuse_sys_cve_allowlist"
                && text is not ("true" or "false"))
            {
                throw new BadRequestException($"invalid value {text} for {key}");
            }

            result[key] = text;
        }

        return result;
    }

    // ---- webhook policies ---------------------------------------------------------------------------------

    private IResult ListPolicies(Call c, SimProject project)
    {
        lock (state.Sync)
        {
            return Paged(c, state.WebhookPolicies.Where(p => p.ProjectId == project.Id).Select(p => (JsonNode)PolicyJson(p)).ToList());
        }
    }

    private static JsonObject PolicyJson(SimWebhookPolicy p)
    {
        var json = (JsonObject)p.Body.DeepClone();
        json["id"] = p.Id;
        json["project_id"] = p.ProjectId;
        json["enabled"] = p.Enabled;
        return json;
    }

    private static string? ValidatePolicy(JsonObject body)
    {
        string[] supported = ["PUSH_ARTIFACT", "PULL_ARTIFACT", "DELETE_ARTIFACT", "QUOTA_EXCEED", "QUOTA_WARNING", "SCANNING_FAILED", "SCANNING_STOPPED", "SCANNING_COMPLETED", "REPLICATION", "TAG_RETENTION"];
        var events = body["event_types"]?.AsArray().Select(e => e?.GetValue<string>()).ToList() ?? [];
        if (events.Count == 0 || events.Any(e => !supported.Contains(e)))
        {
            return "event_types must be non-empty and supported";
        }

        return body["targets"] is JsonArray { Count: > 0 } ? null : "targets must not be empty";
    }

    private async Task<IResult> CreatePolicyAsync(Call c)
    {
        var project = ResolveProject(c);
        if (project is null)
        {
            return SimHttp.Error(404, "NOT_FOUND", "project not found");
        }

        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        if (ValidatePolicy(body) is { } problem)
        {
            return SimHttp.Error(400, "BAD_REQUEST", problem);
        }

        // Harbor stores a policy without "enabled" as disabled.
        body["enabled"] = body["enabled"]?.GetValue<bool>() ?? false;
        SimWebhookPolicy policy;
        lock (state.Sync)
        {
            var name = body["name"]?.GetValue<string>();
            if (state.WebhookPolicies.Any(p => p.ProjectId == project.Id && p.Name == name))
            {
                return SimHttp.Error(409, "CONFLICT", $"notification policy {name} already exists");
            }

            policy = new SimWebhookPolicy { Id = state.NextId(), ProjectId = project.Id, Body = body };
            state.WebhookPolicies.Add(policy);
        }

        return SimHttp.Created(c.Http, $"/api/v2.0/projects/{project.Id}/webhook/policies/{policy.Id}");
    }

    private IResult WithPolicy(Call c, Func<SimProject, SimWebhookPolicy, IResult> then) => WithProject(c, project =>
    {
        var id = long.Parse(c.Values["webhook_policy_id"], CultureInfo.InvariantCulture);
        SimWebhookPolicy? policy;
        lock (state.Sync)
        {
            policy = state.WebhookPolicies.FirstOrDefault(p => p.Id == id && p.ProjectId == project.Id);
        }

        return policy is null ? SimHttp.Error(404, "NOT_FOUND", $"webhook policy {id} not found") : then(project, policy);
    });

    private async Task<IResult> UpdatePolicyAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        return WithPolicy(c, (_, policy) =>
        {
            if (ValidatePolicy(body) is { } problem)
            {
                return SimHttp.Error(400, "BAD_REQUEST", problem);
            }

            body["enabled"] = body["enabled"]?.GetValue<bool>() ?? false;
            lock (state.Sync)
            {
                policy.Body = body;
            }

            return Results.Ok();
        });
    }

    // ---- repositories and artifacts -----------------------------------------------------------------------

    private IResult ListRepositories(Call c) => WithProject(c, project =>
    {
        lock (state.Sync)
        {
            var repositories = state.Artifacts.Where(a => a.Project == project.Name).GroupBy(a => a.Repository).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (JsonNode)new JsonObject
                {
                    ["id"] = g.Min(a => a.Id),
                    ["project_id"] = project.Id,
                    ["name"] = $"{project.Name}/{g.Key}",
                    ["artifact_count"] = g.Count(),
                })
                .ToList();
            return Paged(c, repositories);
        }
    });

    private IResult ListArtifacts(Call c) => WithProject(c, project =>
    {
        lock (state.Sync)
        {
            // Harbor lists accessories (signatures, SBOMs) under their subject, not as artifacts of their own.
            var listed = state.Artifacts.Where(a => a.Project == project.Name && a.Repository == c.Values["repository_name"] && a.SubjectDigest is null);
            if (ArtifactQuery.PushTimeRange(c.Query("q")) is var (from, to))
            {
                listed = listed.Where(a => (from is null || a.PushedAt >= from) && (to is null || a.PushedAt <= to));
            }

            listed = c.Query("sort") switch
            {
                "-push_time" => listed.OrderByDescending(a => a.PushedAt).ThenByDescending(a => a.Id),
                "push_time" => listed.OrderBy(a => a.PushedAt).ThenBy(a => a.Id),
                _ => listed.OrderByDescending(a => a.Id),
            };
            return Paged(c, listed.Select(a => (JsonNode)ArtifactJson(c, a)).ToList());
        }
    });

    private IResult WithArtifact(Call c, Func<SimArtifact, IResult> then)
    {
        var project = c.Values["project_name"];
        var repository = c.Values["repository_name"];
        var reference = c.Values["reference"];
        var artifact = state.FindArtifact(project, repository, reference);
        return artifact is null
            ? SimHttp.Error(404, "NOT_FOUND", $"artifact {project}/{repository}:{reference} not found")
            : then(artifact);
    }

    private JsonObject ArtifactJson(Call c, SimArtifact a)
    {
        var json = new JsonObject
        {
            ["id"] = a.Id,
            ["type"] = "IMAGE",
            ["media_type"] = a.ConfigMediaType,
            ["manifest_media_type"] = a.ManifestMediaType,
            ["project_id"] = state.Projects[a.Project].Id,
            ["repository_name"] = a.FullName,
            ["digest"] = a.Digest,
            ["size"] = a.Size,
            ["push_time"] = a.PushedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        if (c.Query("with_tag") != "false")
        {
            json["tags"] = new JsonArray(a.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t, ["immutable"] = false }).ToArray());
        }

        if (a.Scannable)
        {
            json["addition_links"] = new JsonObject
            {
                ["vulnerabilities"] = new JsonObject
                {
                    ["href"] = $"/api/v2.0/projects/{a.Project}/repositories/{Uri.EscapeDataString(Uri.EscapeDataString(a.Repository))}/artifacts/{a.Digest}/additions/vulnerabilities",
                    ["absolute"] = false,
                },
            };
        }

        if (a.IsIndex)
        {
            // Harbor lists an index's platform manifests as references.
            json["references"] = new JsonArray(a.Children.Select(d => (JsonNode)new JsonObject { ["parent_id"] = a.Id, ["child_digest"] = d }).ToArray());
        }

        if (c.Query("with_label") == "true")
        {
            json["labels"] = new JsonArray(state.Labels.Where(l => a.Labels.Contains(l.Id)).Select(l => (JsonNode)LabelJson(l)).ToArray());
        }

        if (c.Query("with_scan_overview") == "true" && WebhookSender.ScanOverview(a) is { } overview)
        {
            json["scan_overview"] = overview;
        }

        if (c.Query("with_accessory") == "true")
        {
            json["accessories"] = new JsonArray(AccessoriesJson(a).ToArray());
        }

        return json;
    }

    private List<JsonNode> AccessoriesJson(SimArtifact a)
    {
        lock (state.Sync)
        {
            return state.Accessories.Where(x => x.SubjectDigest == a.Digest).Select(x => (JsonNode)new JsonObject
            {
                ["id"] = x.Id,
                ["subject_artifact_digest"] = x.SubjectDigest,
                ["subject_artifact_repo"] = a.FullName,
                ["size"] = x.Size,
                ["digest"] = x.Digest,
                ["type"] = x.Type,
                ["creation_time"] = x.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            }).ToList();
        }
    }

    private async Task<IResult> StopScanAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken);
        if (body?["scan_type"] is null)
        {
            return SimHttp.Error(422, "UNPROCESSABLE_ENTITY", "scanType in body is required");
        }

        return WithArtifact(c, a => scans.Stop(a, c.User) ? Results.StatusCode(202) : SimHttp.Error(400, "BAD_REQUEST", "no scan is running"));
    }

    private IResult Vulnerabilities(SimArtifact a)
    {
        lock (state.Sync)
        {
            var result = new JsonObject();
            if (a.Scan is { Status: "Success", Report: { } report })
            {
                result[WebhookSender.VulnerabilityMime] = report.DeepClone();
            }

            return SimHttp.Json(result);
        }
    }

    private async Task<IResult> CopyArtifactAsync(Call c)
    {
        var from = c.Query("from") ?? throw new BadRequestException("from is required");
        var at = from.LastIndexOf('@');
        var colon = from.LastIndexOf(':');
        var split = at > 0 ? at : colon;
        var slash = from.IndexOf('/', StringComparison.Ordinal);
        if (split <= 0 || slash <= 0 || slash > split)
        {
            return SimHttp.Error(400, "BAD_REQUEST", $"invalid from {from}");
        }

        var source = state.FindArtifact(from[..slash], from[(slash + 1)..split], from[(split + 1)..]);
        var target = ResolveProject(c);
        if (source is null || target is null)
        {
            return SimHttp.Error(404, "NOT_FOUND", "source artifact or target project not found");
        }

        if (source.SubjectDigest is not null)
        {
            return SimHttp.Error(403, "DENIED", "the operation isn't supported for an artifact accessory");
        }

        await registry.CopyManifestAsync(source, target.Name, c.Values["repository_name"], c.User, c.CancellationToken);
        return SimHttp.Created(c.Http, $"/api/v2.0/projects/{target.Name}/repositories/{Uri.EscapeDataString(Uri.EscapeDataString(c.Values["repository_name"]))}/artifacts/{source.Digest}");
    }

    private async Task<IResult> DeleteArtifactAsync(Call c)
    {
        var artifact = state.FindArtifact(c.Values["project_name"], c.Values["repository_name"], c.Values["reference"]);
        if (artifact is null)
        {
            return SimHttp.Error(404, "NOT_FOUND", "artifact not found");
        }

        List<SimArtifact> removed;
        lock (state.Sync)
        {
            var accessories = state.Accessories.Where(x => x.SubjectDigest == artifact.Digest).Select(x => x.Digest).ToHashSet();
            removed = state.Artifacts.Where(a => a == artifact || (a.Project == artifact.Project && a.Repository == artifact.Repository && accessories.Contains(a.Digest))).ToList();
            state.Artifacts.RemoveAll(removed.Contains);
            state.Accessories.RemoveAll(x => x.SubjectDigest == artifact.Digest);
        }

        // The accessories (signatures, attestations) go with their subject, from the registry as well as from the records.
        foreach (var gone in removed)
        {
            await registry.DeleteManifestAsync(gone, c.CancellationToken);
        }

        // Harbor sends DELETE_ARTIFACT to the project's webhook policies like a push or pull
        // (src/controller/event/handler/webhook/artifact/artifact.go:53).
        webhooks.ArtifactDeleted(artifact, c.User);
        return Results.Ok();
    }

    private IResult DeleteTag(Call c, SimArtifact a)
    {
        lock (state.Sync)
        {
            return a.Tags.Remove(c.Values["tag_name"]) ? Results.Ok() : SimHttp.Error(404, "NOT_FOUND", "tag not found");
        }
    }

    // ---- labels -------------------------------------------------------------------------------------------

    private static JsonObject LabelJson(SimLabel l) => new()
    {
        ["id"] = l.Id,
        ["name"] = l.Name,
        ["description"] = l.Description,
        ["color"] = l.Color,
        ["scope"] = l.Scope,
        ["project_id"] = l.ProjectId,
    };

    private IResult ListLabels(Call c)
    {
        var name = c.Query("name");
        var scope = c.Query("scope") ?? "g";
        var projectId = c.Query("project_id");
        lock (state.Sync)
        {
            var labels = state.Labels.Where(l => l.Scope == scope
                    && (name is null || l.Name.Contains(name, StringComparison.Ordinal))
                    && (projectId is null || l.ProjectId.ToString(CultureInfo.InvariantCulture) == projectId))
                .Select(l => (JsonNode)LabelJson(l)).ToList();
            return Paged(c, labels);
        }
    }

    private async Task<IResult> CreateLabelAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        var name = body["name"]?.GetValue<string>() ?? throw new BadRequestException("name required");
        var scope = body["scope"]?.GetValue<string>() ?? "g";
        var projectId = scope == "g" ? 0 : body["project_id"]?.GetValue<long>() ?? throw new BadRequestException("project_id required");
        lock (state.Sync)
        {
            if (state.Labels.Any(l => l.Name == name && l.Scope == scope && l.ProjectId == projectId))
            {
                return SimHttp.Error(409, "CONFLICT", $"label {name} already exists");
            }

            var label = new SimLabel(state.NextId(), name, body["description"]?.GetValue<string>(), body["color"]?.GetValue<string>(), scope, projectId);
            state.Labels.Add(label);
            return SimHttp.Created(c.Http, $"/api/v2.0/labels/{label.Id}");
        }
    }

    private async Task<IResult> AddLabelAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        var id = body["id"]?.GetValue<long>() ?? throw new BadRequestException("id required");
        return WithArtifact(c, a =>
        {
            lock (state.Sync)
            {
                var label = state.Labels.FirstOrDefault(l => l.Id == id);
                if (label is null || (label.Scope == "p" && label.ProjectId != state.Projects[a.Project].Id))
                {
                    return SimHttp.Error(404, "NOT_FOUND", $"label {id} not found");
                }

                return a.Labels.Add(id) ? Results.Ok() : SimHttp.Error(409, "CONFLICT", $"label {id} is already added to the artifact");
            }
        });
    }

    private IResult RemoveLabel(Call c, SimArtifact a)
    {
        var id = long.Parse(c.Values["label_id"], CultureInfo.InvariantCulture);
        lock (state.Sync)
        {
            return a.Labels.Remove(id) ? Results.Ok() : SimHttp.Error(404, "NOT_FOUND", $"label {id} is not added to the artifact");
        }
    }

    // ---- paging -------------------------------------------------------------------------------------------

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

    // Harbor's rule for project names: lower case letters and digits, with single . _ or - between them.
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial System.Text.RegularExpressions.Regex ProjectName();
}
