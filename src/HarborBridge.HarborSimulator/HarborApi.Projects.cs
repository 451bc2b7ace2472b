using System.Globalization;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Projects and their metadata (<c>/projects</c>, <c>/projects/{name}/metadatas</c>).</summary>
internal sealed partial class HarborApi
{
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

    // Harbor's rule for project names: lower case letters and digits, with single . _ or - between them.
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial System.Text.RegularExpressions.Regex ProjectName();
}
