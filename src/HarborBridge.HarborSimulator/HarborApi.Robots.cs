using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HarborBridge.HarborSimulator;

/// <summary>Robot accounts (src/server/v2.0/handler/robot.go), robot Basic auth (src/server/middleware/security/robot.go)
/// and the project permission checks of the endpoints HarborBridge uses. Only robots created through this API are
/// checked; the configured users (admin, and any robot a test lists in <see cref="HarborSimulatorOptions.Users"/>) may
/// do everything, as before.</summary>
internal sealed partial class HarborApi
{
    private IEnumerable<Route> RobotRoutes() =>
    [
        new("GET", ["robots"], c => Task.FromResult(AdminOnly(c) ?? ListRobots(c))),
        new("POST", ["robots"], async c => AdminOnly(c) ?? await CreateRobotAsync(c)),
        new("GET", ["robots", "{robot_id}"], c => Task.FromResult(AdminOnly(c) ?? WithRobot(c, r => SimHttp.Json(RobotJson(r))))),
        new("PUT", ["robots", "{robot_id}"], async c => AdminOnly(c) ?? await UpdateRobotAsync(c)),
        new("PATCH", ["robots", "{robot_id}"], async c => AdminOnly(c) ?? await RefreshSecretAsync(c)),
        new("GET", ["users", "current", "permissions"], c => Task.FromResult(CurrentPermissions(c))),
    ];

    private IResult WithRobot(Call c, Func<SimRobot, IResult> then)
    {
        var id = long.TryParse(c.Values["robot_id"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        SimRobot? robot;
        lock (state.Sync)
        {
            robot = state.Robots.FirstOrDefault(r => r.Id == id);
        }

        return robot is null ? SimHttp.Error(404, "NOT_FOUND", $"robot {c.Values["robot_id"]} not found") : then(robot);
    }

    private static JsonObject RobotJson(SimRobot r) => new()
    {
        ["id"] = r.Id,
        ["name"] = r.FullName,
        ["description"] = r.Description,
        ["level"] = r.Level,
        ["duration"] = r.Duration,
        ["editable"] = true,
        ["disable"] = r.Disabled,
        ["expires_at"] = r.Duration == -1 ? -1 : r.CreatedAt.AddDays(r.Duration).ToUnixTimeSeconds(),
        ["permissions"] = new JsonArray(r.Permissions.Select(p => (JsonNode)new JsonObject
        {
            ["kind"] = p.Kind,
            ["namespace"] = p.Namespace,
            ["access"] = new JsonArray(p.Access.Select(a => (JsonNode)new JsonObject { ["resource"] = a.Resource, ["action"] = a.Action, ["effect"] = "allow" }).ToArray()),
        }).ToArray()),
        ["creation_time"] = r.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    /// <summary><c>q=Level=system,name=~x</c>: system robots unless <c>Level=project,ProjectID=n</c> (handler/robot.go:160-190);
    /// <c>~</c> is Harbor's fuzzy (contains) match.</summary>
    private IResult ListRobots(Call c)
    {
        var keywords = (c.Query("q") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        var level = keywords.GetValueOrDefault("Level") ?? "system";
        if (level is not ("system" or "project"))
        {
            return SimHttp.Error(400, "BAD_REQUEST", "bad request error level input");
        }

        string? projectName = null;
        if (level == "project")
        {
            if (!long.TryParse(keywords.GetValueOrDefault("ProjectID"), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                return SimHttp.Error(400, "BAD_REQUEST", "must with project ID when to query project robots");
            }

            lock (state.Sync)
            {
                projectName = state.Projects.Values.FirstOrDefault(p => p.Id == pid)?.Name ?? "";
            }
        }

        var name = keywords.GetValueOrDefault("name");
        lock (state.Sync)
        {
            var robots = state.Robots.Where(r => r.Level == level && (level == "system" || r.ProjectName == projectName))
                .Where(r => name is null || (name.StartsWith('~') ? r.Name.Contains(name[1..], StringComparison.Ordinal) : r.Name == name))
                .OrderBy(r => r.Id).Select(r => (JsonNode)RobotJson(r)).ToList();
            return Paged(c, robots);
        }
    }

    /// <summary>Reads and validates a robot body as handler/robot.go:327-380 and :441-449 do.</summary>
    private static (string? Error, List<(string Kind, string Namespace, List<(string Resource, string Action)> Access)> Permissions) ReadPermissions(JsonObject body)
    {
        var permissions = new List<(string, string, List<(string, string)>)>();
        if (body["permissions"] is not JsonArray { Count: > 0 } list)
        {
            return ("bad request empty permission", permissions);
        }

        var level = body["level"]?.GetValue<string>();
        if (level == "project" && list.Count > 1)
        {
            return ("bad request permission", permissions);
        }

        foreach (var item in list)
        {
            var kind = item?["kind"]?.GetValue<string>() ?? "";
            var ns = item?["namespace"]?.GetValue<string>() ?? "";
            if (item?["access"] is not JsonArray { Count: > 0 } access)
            {
                return ("bad request empty access", permissions);
            }

            if (kind != "project")
            {
                return ($"bad request permission level: {kind}", permissions);
            }

            var pairs = new List<(string, string)>();
            foreach (var a in access)
            {
                var resource = a?["resource"]?.GetValue<string>() ?? "";
                var action = a?["action"]?.GetValue<string>() ?? "";
                if (!ProjectScope.Contains($"{resource}:{action}"))
                {
                    return ($"bad request permission: {resource}:{action}", permissions);
                }

                pairs.Add((resource, action));
            }

            permissions.Add((kind, ns, pairs));
        }

        return (null, permissions);
    }

    private async Task<IResult> CreateRobotAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        var name = body["name"]?.GetValue<string>() ?? "";
        if (!RobotName().IsMatch(name))
        {
            return SimHttp.Error(400, "BAD_REQUEST", "robot name is not in lower case or contains illegal characters");
        }

        var level = body["level"]?.GetValue<string>() ?? "";
        var duration = body["duration"]?.GetValue<long>() ?? 0;
        if (duration != -1 && duration <= 0)
        {
            return SimHttp.Error(400, "BAD_REQUEST", $"bad request error duration input: {duration}, duration must be either -1(Never) or a positive integer");
        }

        if (level is not ("system" or "project"))
        {
            return SimHttp.Error(400, "BAD_REQUEST", $"bad request error level input: {level}");
        }

        var (error, permissions) = ReadPermissions(body);
        if (error is not null)
        {
            return SimHttp.Error(400, "BAD_REQUEST", error);
        }

        lock (state.Sync)
        {
            foreach (var (_, ns, _) in permissions)
            {
                if (ns != "*" && !state.Projects.ContainsKey(ns))
                {
                    return SimHttp.Error(404, "NOT_FOUND", $"project {ns} not found");
                }
            }

            var robot = new SimRobot
            {
                Id = state.NextId(),
                Name = name,
                Level = level,
                ProjectName = level == "project" ? permissions[0].Namespace : null,
                Description = body["description"]?.GetValue<string>(),
                Disabled = body["disable"]?.GetValue<bool>() ?? false,
                Duration = duration,
                Secret = NewSecret(),
                Permissions = permissions,
                CreatedAt = time.GetUtcNow(),
            };
            if (state.Robots.Any(r => r.FullName == robot.FullName))
            {
                // controller/robot/controller.go:66 via the DAO's unique key (project, name).
                return SimHttp.Error(409, "CONFLICT", $"robot account {(robot.ProjectName is null ? 0 : state.Projects[robot.ProjectName].Id)}:{name} already exists");
            }

            state.Robots.Add(robot);
            c.Http.Response.Headers.Location = $"/api/v2.0/robots/{robot.Id.ToString(CultureInfo.InvariantCulture)}";
            return SimHttp.Json(new JsonObject
            {
                ["id"] = robot.Id,
                ["name"] = robot.FullName,
                ["secret"] = robot.Secret,
                ["creation_time"] = robot.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["expires_at"] = robot.Duration == -1 ? -1 : robot.CreatedAt.AddDays(robot.Duration).ToUnixTimeSeconds(),
            }, 201);
        }
    }

    /// <summary>handler/robot.go:245-267 and updateV2Robot (:384-431): name and level cannot change; description,
    /// disable, duration and permissions are replaced.</summary>
    private async Task<IResult> UpdateRobotAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject ?? throw new BadRequestException("body required");
        return WithRobot(c, robot =>
        {
            var (error, permissions) = ReadPermissions(body);
            if (error is not null)
            {
                return SimHttp.Error(400, "BAD_REQUEST", error);
            }

            if (body["level"]?.GetValue<string>() != robot.Level || body["name"]?.GetValue<string>() != robot.Name)
            {
                return SimHttp.Error(400, "BAD_REQUEST", "cannot update the level or name of robot");
            }

            lock (state.Sync)
            {
                robot.Description = body["description"]?.GetValue<string>();
                robot.Disabled = body["disable"]?.GetValue<bool>() ?? false;
                robot.Duration = body["duration"]?.GetValue<long>() ?? robot.Duration;
                robot.Permissions = permissions;
            }

            return Results.Ok();
        });
    }

    /// <summary><c>PATCH /robots/{id}</c> (handler/robot.go:269-306): a given secret must be 8-128 characters with an
    /// upper-case letter, a lower-case letter and a digit, and is not echoed; without one a new secret is generated and returned.</summary>
    private async Task<IResult> RefreshSecretAsync(Call c)
    {
        var body = await SimHttp.ReadJsonAsync(c.Http.Request, c.CancellationToken) as JsonObject;
        var given = body?["secret"]?.GetValue<string>() ?? "";
        return WithRobot(c, robot =>
        {
            if (given.Length > 0 && (given.Length is < 8 or > 128 || !given.Any(char.IsUpper) || !given.Any(char.IsLower) || !given.Any(char.IsDigit)))
            {
                return SimHttp.Error(400, "BAD_REQUEST", "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number");
            }

            var secret = given.Length > 0 ? given : NewSecret();
            lock (state.Sync)
            {
                robot.Secret = secret;
            }

            return SimHttp.Json(new JsonObject { ["secret"] = given.Length > 0 ? "" : secret });
        });
    }

    /// <summary>Harbor generates a 32-character secret with upper- and lower-case letters and digits.</summary>
    private static string NewSecret()
    {
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", lower = "abcdefghijkmnopqrstuvwxyz", digits = "23456789";
        const string all = upper + lower + digits;
        var chars = Enumerable.Range(0, 29).Select(_ => all[RandomNumberGenerator.GetInt32(all.Length)])
            .Append(upper[RandomNumberGenerator.GetInt32(upper.Length)])
            .Append(lower[RandomNumberGenerator.GetInt32(lower.Length)])
            .Append(digits[RandomNumberGenerator.GetInt32(digits.Length)]);
        return new string([.. chars]);
    }

    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex RobotName();
}
