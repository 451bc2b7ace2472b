using HarborBridge.Core.Harbor;
using HarborBridge.Harbor.Oci;

namespace HarborBridge.Quarantine;

/// <summary>Names the Harbor robot permission (resource: action, as in the robot account form) a refused call needs.</summary>
internal static class HarborPermissions
{
    public static string For(Exception e) => e switch
    {
        HarborApiException h => h.Operation switch
        {
            "get project" => "project: read",
            "create project" => "project: create (system level)",
            "update project" or "set project metadata" or "delete project metadata" => "project: update and metadata: update/delete",
            "get artifact" or "list accessories" => "artifact: read",
            "find labels" => "label: list",
            "create label" => "label: create (system scope for a global label)",
            "add label" => "artifact-label: create",
            "remove label" => "artifact-label: delete",
            "copy artifact" => "artifact: create on the target project and artifact: read on the source",
            "delete artifact" => "artifact: delete",
            var other => $"the permission for '{other}'",
        },
        OciRegistryException => "repository: push and repository: delete (to rewrite and delete signature manifests)",
        _ => "unknown",
    };

    public static bool IsForbidden(Exception e) => e is HarborApiException { StatusCode: 403 } or OciRegistryException { StatusCode: 403 };

    public static bool IsNotFound(Exception e) => e is HarborApiException { StatusCode: 404 };
}
