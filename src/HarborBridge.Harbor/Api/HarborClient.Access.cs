using System.Globalization;
using System.Text.Json.Serialization;
using HarborBridge.Core.Harbor;
using RestSharp;

namespace HarborBridge.Harbor.Api;

/// <summary>Robot accounts and the caller's permissions (swagger.yaml: <c>/robots</c>, <c>/robots/{robot_id}</c>,
/// <c>/users/current/permissions</c>).</summary>
internal sealed partial class HarborClient
{
    public async Task<IReadOnlyList<HarborRobot>> ListSystemRobotsAsync(string name, CancellationToken cancellationToken)
    {
        const string operation = "list robots";
        // handler/robot.go ListRobot: no Level (or Level=system) lists system robots; `=~` is Harbor's fuzzy match.
        var request = Paged(new RestRequest("robots"), 1, 100).AddQueryParameter("q", $"Level=system,name=~{name}");
        var response = EnsureSuccess(await SendAsync(request, operation, cancellationToken), operation);
        return Read<List<RobotDto>>(response, operation).Select(r => r.ToModel()).ToList();
    }

    public async Task<HarborRobotCreated> CreateRobotAsync(HarborRobot robot, CancellationToken cancellationToken)
    {
        const string operation = "create robot";
        ArgumentNullException.ThrowIfNull(robot);
        var request = new RestRequest("robots", Method.Post).AddJsonBody(RobotDto.From(robot));
        var response = EnsureSuccess(await SendAsync(request, operation, cancellationToken), operation);
        var created = Read<RobotCreatedDto>(response, operation);
        return new HarborRobotCreated(created.Id, created.Name ?? "", created.Secret ?? "");
    }

    public async Task UpdateRobotAsync(HarborRobot robot, CancellationToken cancellationToken)
    {
        const string operation = "update robot";
        ArgumentNullException.ThrowIfNull(robot);
        // handler/robot.go updateV2Robot: name and level must be the stored ones (the name without the robot$ prefix).
        var request = new RestRequest("robots/" + robot.Id.ToString(CultureInfo.InvariantCulture), Method.Put).AddJsonBody(RobotDto.From(robot));
        EnsureSuccess(await SendAsync(request, operation, cancellationToken), operation);
    }

    public async Task<IReadOnlyList<HarborAccess>> GetCurrentPermissionsAsync(long projectId, CancellationToken cancellationToken)
    {
        const string operation = "get current permissions";
        var request = new RestRequest("users/current/permissions")
            .AddQueryParameter("scope", "/project/" + projectId.ToString(CultureInfo.InvariantCulture))
            .AddQueryParameter("relative", "true");
        var response = EnsureSuccess(await SendAsync(request, operation, cancellationToken), operation);
        return Read<List<AccessDto>>(response, operation).Select(a => new HarborAccess(a.Resource ?? "", a.Action ?? "")).ToList();
    }

    private sealed record AccessDto(
        [property: JsonPropertyName("resource")] string? Resource,
        [property: JsonPropertyName("action")] string? Action);

    private sealed record RobotPermissionDto(
        [property: JsonPropertyName("kind")] string? Kind,
        [property: JsonPropertyName("namespace")] string? Namespace,
        [property: JsonPropertyName("access")] List<AccessDto>? Access);

    private sealed record RobotCreatedDto(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("secret")] string? Secret);

    private sealed record RobotDto(
        [property: JsonPropertyName("id")] long? Id,
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("level")] string? Level,
        [property: JsonPropertyName("disable")] bool Disable,
        [property: JsonPropertyName("duration")] long? Duration,
        [property: JsonPropertyName("permissions")] List<RobotPermissionDto>? Permissions)
    {
        private const string Prefix = "robot$";

        // Harbor returns the full name (robot$name); create and update take the name as created.
        public HarborRobot ToModel()
        {
            var full = Name ?? "";
            var shortName = full.StartsWith(Prefix, StringComparison.Ordinal) ? full[Prefix.Length..] : full;
            return new HarborRobot(Id ?? 0, shortName, full, Level ?? "", Description, Disable, Duration ?? -1,
                (Permissions ?? []).Select(p => new HarborRobotPermission(p.Kind ?? "", p.Namespace ?? "",
                    (p.Access ?? []).Select(a => new HarborAccess(a.Resource ?? "", a.Action ?? "")).ToList())).ToList());
        }

        public static RobotDto From(HarborRobot r) => new(
            r.Id == 0 ? null : r.Id, r.Name, r.Description, r.Level, r.Disabled, r.Duration,
            r.Permissions.Select(p => new RobotPermissionDto(p.Kind, p.Namespace, p.Access.Select(a => new AccessDto(a.Resource, a.Action)).ToList())).ToList());
    }
}
