using System.Globalization;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Labels: the global list, creating one, adding it to an artifact and removing it.</summary>
internal sealed partial class HarborApi
{
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
}
