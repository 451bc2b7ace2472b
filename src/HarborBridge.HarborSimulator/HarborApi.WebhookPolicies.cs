using System.Globalization;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Webhook policies of a project (<c>/projects/{name}/webhook/policies</c>).</summary>
internal sealed partial class HarborApi
{
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
}
