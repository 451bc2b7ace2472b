using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>What Harbor records about manifests going through its registry front: a push becomes an artifact (or an accessory
/// of its subject) and fires PUSH_ARTIFACT, a delete drops it, and the API's copy and delete act on the registry.</summary>
internal sealed partial class RegistryProxy
{
    private async Task PushManifestAsync(HttpContext http, string raw, string project, string repository, string reference, string user, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, cancellationToken);
        var body = buffer.ToArray();
        using var upstream = await ForwardAsync(http, raw, body, cancellationToken);
        if (upstream.IsSuccessStatusCode && upstream.Headers.TryGetValues("Docker-Content-Digest", out var digests))
        {
            var mediaType = http.Request.ContentType ?? "";
            var recorded = Record(project, repository, reference, digests.First(), mediaType, body, user);
            if (options.ServeReferrersApi && recorded.SubjectDigest is { } subject && !SignatureTag().IsMatch(reference))
            {
                http.Response.Headers["OCI-Subject"] = subject;
            }
        }

        await CopyResponseAsync(upstream, http, null, cancellationToken);
    }

    /// <summary>Stores a pushed manifest as Harbor would and fires PUSH_ARTIFACT (and auto-scan when enabled).</summary>
    internal SimArtifact Record(string project, string repository, string reference, string digest, string mediaType, byte[] body, string user)
    {
        JsonObject? manifest = null;
        try
        {
            manifest = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            logger.LogInformation("Pushed manifest {Digest} is not JSON", digest);
        }

        var tag = reference.StartsWith("sha256:", StringComparison.Ordinal) ? null : reference;
        var configType = manifest?["config"]?["mediaType"]?.GetValue<string>();
        var layerTypes = manifest?["layers"]?.AsArray().Select(l => l?["mediaType"]?.GetValue<string>()).ToList() ?? [];
        string? subject = null;
        string? accessoryType = null;
        // A tag-mode signature: tag sha256-<hex>.sig and a simple-signing layer (src/server/middleware/cosign/cosign.go:43-45,
        // 115-166); a manifest with a subject becomes an accessory of it by its artifact type (bundle v0.3: Harbor v2.15+).
        if (tag is not null && SignatureTag().Match(tag) is { Success: true } sig && sig.Groups["kind"].Value == "sig"
            && layerTypes.Contains("application/vnd.dev.cosign.simplesigning.v1+json"))
        {
            subject = "sha256:" + sig.Groups["hex"].Value;
            accessoryType = "signature.cosign";
        }
        else if (manifest?["subject"]?["digest"]?.GetValue<string>() is { } subjectDigest)
        {
            subject = subjectDigest;
            var kind = manifest["artifactType"]?.GetValue<string>() ?? configType;
            accessoryType = kind switch
            {
                "application/vnd.dev.cosign.artifact.sig.v1+json" or "application/vnd.dev.sigstore.bundle.v0.3+json" => "signature.cosign",
                "application/vnd.cncf.notary.signature" => "signature.notation",
                "application/vnd.goharbor.harbor.sbom.v1" => "sbom.harbor",
                _ => "subject.accessory",
            };
        }

        SimArtifact artifact;
        var now = time.GetUtcNow();
        lock (state.Sync)
        {
            if (tag is not null)
            {
                foreach (var other in state.Artifacts.Where(a => a.Project == project && a.Repository == repository))
                {
                    other.Tags.Remove(tag);
                }
            }

            artifact = state.Artifacts.FirstOrDefault(a => a.Project == project && a.Repository == repository && a.Digest == digest)
                ?? new SimArtifact
                {
                    Id = state.NextId(),
                    Project = project,
                    Repository = repository,
                    Digest = digest,
                    ManifestMediaType = mediaType,
                    ConfigMediaType = configType,
                    ArtifactType = manifest?["artifactType"]?.GetValue<string>() ?? configType,
                    Size = body.LongLength,
                    PushedAt = now,
                };
            if (!state.Artifacts.Contains(artifact))
            {
                state.Artifacts.Add(artifact);
            }

            if (artifact.IsIndex && artifact.Children.Count == 0)
            {
                artifact.Children.AddRange(manifest?["manifests"]?.AsArray().Select(m => m?["digest"]?.GetValue<string>()).OfType<string>() ?? []);
            }

            if (tag is not null && !artifact.Tags.Contains(tag))
            {
                artifact.Tags.Add(tag);
            }

            if (subject is not null && accessoryType is not null)
            {
                artifact.SubjectDigest = subject;
                state.Accessories.RemoveAll(x => x.Digest == digest && x.SubjectDigest == subject);
                state.Accessories.Add(new SimAccessory(state.NextId(), digest, accessoryType, subject, body.LongLength, now));
            }
        }

        webhooks.ArtifactPushed(artifact, tag, user);
        bool autoScan;
        lock (state.Sync)
        {
            autoScan = state.Projects[project].IsOn("auto_scan") && (artifact.Scannable || artifact.IsIndex);
        }

        if (autoScan)
        {
            Scans?.StartAll(artifact, user);
        }

        return artifact;
    }

    /// <summary>A manifest deleted through <c>/v2/</c>: Harbor drops the artifact and, for an accessory, the link.</summary>
    private void Forget(string project, string repository, string digest)
    {
        lock (state.Sync)
        {
            state.Artifacts.RemoveAll(a => a.Project == project && a.Repository == repository && a.Digest == digest);
            state.Accessories.RemoveAll(x => x.Digest == digest);
        }
    }

    /// <summary>Copies an artifact's manifest (blobs mounted across repositories) into another repository.</summary>
    internal async Task CopyManifestAsync(SimArtifact source, string targetProject, string targetRepository, string user, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(Upstream, $"v2/{source.FullName}/manifests/{source.Digest}"));
        get.Headers.Accept.ParseAdd(source.ManifestMediaType);
        using var manifestResponse = await client.SendAsync(get, cancellationToken);
        manifestResponse.EnsureSuccessStatusCode();
        var body = await manifestResponse.Content.ReadAsByteArrayAsync(cancellationToken);
        var manifest = JsonNode.Parse(body)!.AsObject();
        var blobs = (manifest["layers"]?.AsArray() ?? []).Append(manifest["config"]).OfType<JsonObject>()
            .Select(d => d["digest"]!.GetValue<string>()).Distinct();
        var target = $"{targetProject}/{targetRepository}";
        foreach (var blob in blobs)
        {
            using var mount = new HttpRequestMessage(HttpMethod.Post, new Uri(Upstream, $"v2/{target}/blobs/uploads/?mount={blob}&from={source.FullName}"));
            using var mounted = await client.SendAsync(mount, cancellationToken);
            if ((int)mounted.StatusCode != 201)
            {
                throw new InvalidOperationException($"could not mount {blob} into {target}: {(int)mounted.StatusCode}");
            }
        }

        foreach (var reference in source.Tags.DefaultIfEmpty(source.Digest))
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(Upstream, $"v2/{target}/manifests/{reference}")) { Content = new ByteArrayContent(body) };
            put.Content.Headers.ContentType = new MediaTypeHeaderValue(source.ManifestMediaType);
            using var stored = await client.SendAsync(put, cancellationToken);
            stored.EnsureSuccessStatusCode();
            var copy = Record(targetProject, targetRepository, reference, source.Digest, source.ManifestMediaType, body, user);
            lock (state.Sync)
            {
                // Harbor keys scan reports by digest: the copy has the source's report.
                copy.Scan ??= source.Scan;
            }
        }
    }

    internal async Task DeleteManifestAsync(SimArtifact artifact, CancellationToken cancellationToken)
    {
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(Upstream, $"v2/{artifact.FullName}/manifests/{artifact.Digest}"));
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(delete, cancellationToken);
        if (!response.IsSuccessStatusCode && (int)response.StatusCode != 404)
        {
            logger.LogWarning("Registry refused to delete {Digest}: {Status}", artifact.Digest, (int)response.StatusCode);
        }
    }
}
