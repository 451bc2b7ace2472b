using System.Globalization;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Repositories and artifacts: list, read, copy, delete, tags, scans and their reports.</summary>
internal sealed partial class HarborApi
{
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
}
