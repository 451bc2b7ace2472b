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
    /// <summary>The project-scope permissions a robot may be given (src/common/rbac/const.go:236-313).</summary>
    private static readonly HashSet<string> ProjectScope = new(StringComparer.Ordinal)
    {
        "log:list", "project:read", "project:delete", "project:update", "metadata:read", "metadata:create", "metadata:delete",
        "metadata:list", "metadata:update", "repository:read", "repository:update", "repository:delete", "repository:list",
        "repository:pull", "repository:push", "artifact:read", "artifact:create", "artifact:list", "artifact:delete", "scan:create",
        "scan:read", "scan:stop", "sbom:create", "sbom:stop", "sbom:read", "tag:create", "tag:list", "tag:delete", "accessory:list",
        "artifact-addition:read", "artifact-label:create", "artifact-label:delete", "scanner:create", "scanner:read",
        "preheat-policy:read", "preheat-policy:create", "preheat-policy:delete", "preheat-policy:list", "preheat-policy:update",
        "immutable-tag:create", "immutable-tag:delete", "immutable-tag:list", "immutable-tag:update", "notification-policy:read",
        "notification-policy:create", "notification-policy:delete", "notification-policy:list", "notification-policy:update",
        "tag-retention:read", "tag-retention:create", "tag-retention:delete", "tag-retention:list", "tag-retention:update",
        "label:read", "label:create", "label:delete", "label:list", "label:update", "quota:read",
    };

    /// <summary>What each project endpoint requires (the handler's <c>RequireProjectAccess</c> call), keyed by method and
    /// route. Endpoints not listed need only a signed-in account (or check nothing a robot can hold, e.g. labels).</summary>
    private static readonly Dictionary<string, (string Resource, string Action)> ProjectAccess = new(StringComparer.Ordinal)
    {
        ["GET projects/{project_name_or_id}"] = ("project", "read"),                                          // handler/project.go:352
        ["PUT projects/{project_name_or_id}"] = ("project", "update"),                                        // handler/project.go:550
        ["GET projects/{project_name_or_id}/metadatas/"] = ("metadata", "list"),                              // handler/project_metadata.go:69
        ["PUT projects/{project_name_or_id}/metadatas/{meta_name}"] = ("metadata", "update"),                 // handler/project_metadata.go:129
        ["DELETE projects/{project_name_or_id}/metadatas/{meta_name}"] = ("metadata", "delete"),              // handler/project_metadata.go:85
        ["GET projects/{project_name_or_id}/webhook/policies"] = ("notification-policy", "list"),             // handler/webhook.go:105
        ["POST projects/{project_name_or_id}/webhook/policies"] = ("notification-policy", "create"),          // handler/webhook.go:142
        ["GET projects/{project_name_or_id}/webhook/policies/{webhook_policy_id}"] = ("notification-policy", "read"), // handler/webhook.go:226
        ["PUT projects/{project_name_or_id}/webhook/policies/{webhook_policy_id}"] = ("notification-policy", "update"), // handler/webhook.go:174
        ["GET projects/{project_name}/repositories"] = ("repository", "list"),                                // handler/repository.go:169
        ["GET projects/{project_name}/repositories/{repository_name}/artifacts"] = ("artifact", "list"),      // handler/artifact.go:85
        ["POST projects/{project_name}/repositories/{repository_name}/artifacts"] = ("artifact", "create"),   // handler/artifact.go:166
        ["GET " + Artifact] = ("artifact", "read"),                                                          // handler/artifact.go:127
        ["DELETE " + Artifact] = ("artifact", "delete"),                                                     // handler/artifact.go:152
        ["POST " + Artifact + "/scan"] = ("scan", "create"),                                                 // handler/scan.go:93
        ["POST " + Artifact + "/scan/stop"] = ("scan", "stop"),                                              // handler/scan.go:62
        ["GET " + Artifact + "/additions/vulnerabilities"] = ("artifact-addition", "read"),                  // handler/artifact.go:400
        ["GET " + Artifact + "/accessories"] = ("accessory", "list"),                                        // handler/artifact.go:364
        ["POST " + Artifact + "/labels"] = ("artifact-label", "create"),                                     // handler/artifact.go:467
        ["DELETE " + Artifact + "/labels/{label_id}"] = ("artifact-label", "delete"),                        // handler/artifact.go:484
        ["DELETE " + Artifact + "/tags/{tag_name}"] = ("tag", "delete"),                                     // handler/artifact.go:281
    };

    private const string Artifact = "projects/{project_name}/repositories/{repository_name}/artifacts/{reference}";

    private IEnumerable<Route> RobotRoutes() =>
    [
        new("GET", ["robots"], c => Task.FromResult(AdminOnly(c) ?? ListRobots(c))),
        new("POST", ["robots"], async c => AdminOnly(c) ?? await CreateRobotAsync(c)),
        new("GET", ["robots", "{robot_id}"], c => Task.FromResult(AdminOnly(c) ?? WithRobot(c, r => SimHttp.Json(RobotJson(r))))),
        new("PUT", ["robots", "{robot_id}"], async c => AdminOnly(c) ?? await UpdateRobotAsync(c)),
        new("PATCH", ["robots", "{robot_id}"], async c => AdminOnly(c) ?? await RefreshSecretAsync(c)),
        new("GET", ["users", "current", "permissions"], c => Task.FromResult(CurrentPermissions(c))),
    ];

    /// <summary>The robot created through this API that <paramref name="request"/> signs in as: name with the
    /// <c>robot$</c> prefix, matching secret, not disabled (middleware/security/robot.go:35-70); null otherwise.</summary>
    private SimRobot? RobotUser(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !decoded.StartsWith(SimRobot.Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var robot = state.FindRobot(decoded[..colon]);
        lock (state.Sync)
        {
            return robot is { Disabled: false } && robot.Secret == decoded[(colon + 1)..] ? robot : null;
        }
    }

    /// <summary>Harbor's 403 (lib/errors/const.go:27, errors.go:80: code FORBIDDEN, message "forbidden") when a robot
    /// created through this API lacks the permission the endpoint requires on its project.</summary>
    private IResult? Denied(Route route, string user, Dictionary<string, string> values, HttpContext http)
    {
        if (!user.StartsWith(SimRobot.Prefix, StringComparison.Ordinal) || state.FindRobot(user) is not { } robot
            || !ProjectAccess.TryGetValue(route.Method + " " + string.Join('/', route.Parts), out var need))
        {
            return null;
        }

        var project = ResolveProject(new Call(http, values, user, http.RequestAborted));
        lock (state.Sync)
        {
            // An unknown project is left to the handler's 404; Harbor answers 403 there too for a robot, which is
            // indistinguishable for HarborBridge.
            return project is null || robot.Can(project.Name, need.Resource, need.Action) ? null : SimHttp.Error(403, "FORBIDDEN", "forbidden");
        }
    }

    /// <summary>Robots need the system permission <c>robot:*</c> to manage robots (handler/robot.go:308-323); the
    /// simulator's robots never get it.</summary>
    private IResult? AdminOnly(Call c) =>
        state.FindRobot(c.User) is null ? null : SimHttp.Error(403, "FORBIDDEN", "forbidden");

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

    /// <summary><c>GET /users/current/permissions?scope=/project/{id}&amp;relative=true</c> (handler/user.go:144-181): the
    /// project-scope policies the caller can do; a configured user (admin) can do all of them.</summary>
    private IResult CurrentPermissions(Call c)
    {
        var scope = c.Query("scope") ?? "";
        var relative = string.Equals(c.Query("relative"), "true", StringComparison.OrdinalIgnoreCase);
        const string prefix = "/project/";
        if (!scope.StartsWith(prefix, StringComparison.Ordinal)
            || !long.TryParse(scope[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var projectId))
        {
            return SimHttp.Json(new JsonArray());
        }

        var robot = state.FindRobot(c.User);
        lock (state.Sync)
        {
            var project = state.Projects.Values.FirstOrDefault(p => p.Id == projectId);
            var granted = ProjectScope.Order(StringComparer.Ordinal).Where(pair =>
            {
                var (resource, action) = (pair.Split(':')[0], pair.Split(':')[1]);
                return robot is null || (project is not null && robot.Can(project.Name, resource, action));
            });
            return SimHttp.Json(new JsonArray(granted.Select(pair => (JsonNode)new JsonObject
            {
                ["resource"] = relative ? pair.Split(':')[0] : $"{scope}/{pair.Split(':')[0]}",
                ["action"] = pair.Split(':')[1],
            }).ToArray()));
        }
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
