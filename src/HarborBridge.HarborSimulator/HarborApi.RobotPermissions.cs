using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Who may call what: robot Basic auth (src/server/middleware/security/robot.go), the project permission each
/// endpoint HarborBridge uses requires, Harbor's 403 when a robot lacks it, and the caller's own permissions
/// (<c>/users/current/permissions</c>). Only robots created through this API are checked; the configured users may do
/// everything.</summary>
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
}
