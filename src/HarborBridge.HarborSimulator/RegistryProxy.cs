using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HarborBridge.HarborSimulator;

/// <summary>Harbor's registry front: forwards <c>/v2/</c> to the real docker-registry, issues tokens at
/// <c>/service/token</c>, enforces the project's pull policies (412 PROJECTPOLICYVIOLATION), records pushed
/// manifests as artifacts (and <c>sha256-&lt;hex&gt;.sig</c> / subject pushes as accessories) and fires PUSH_ARTIFACT.</summary>
internal sealed partial class RegistryProxy(
    SimulatorState state,
    HarborSimulatorOptions options,
    WebhookSender webhooks,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<RegistryProxy> logger)
{
    public const string HttpClientName = "simulator-registry";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Authorization",
    };

    private static readonly string[] ManifestAccept =
    [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    internal ScanRunner? Scans { get; set; }

    private Uri Upstream => new($"http://{options.RegistryAddress}/");

    public IResult Token(HttpContext http)
    {
        var user = SimHttp.BasicUser(http.Request, options);
        if (user is null)
        {
            return SimHttp.Error(401, "UNAUTHORIZED", "invalid credentials");
        }

        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        lock (state.Sync)
        {
            state.Tokens[token] = user;
            state.TokenScopes[token] = http.Request.Query["scope"].Select(scope => scope ?? "").ToList();
        }

        return SimHttp.Json(new JsonObject
        {
            ["token"] = token,
            ["access_token"] = token,
            ["expires_in"] = 1800,
            ["issued_at"] = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        });
    }

    public async Task HandleAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var raw = SimHttp.RawTarget(http);
        var path = raw.Split('?', 2)[0];
        var user = Authenticate(http);
        if (options.RequireRegistryAuth && user is null)
        {
            var scope = ManifestPath().Match(path) is { Success: true } m ? $",scope=\"repository:{m.Groups["name"].Value}:pull\"" : "";
            http.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{http.Request.Scheme}://{http.Request.Host}/service/token\",service=\"harbor-registry\"{scope}";
            await SimHttp.Error(401, "UNAUTHORIZED", "unauthorized to access repository").ExecuteAsync(http);
            return;
        }

        if (options.ServeReferrersApi && HttpMethods.IsGet(http.Request.Method) && ReferrersPath().Match(path) is { Success: true } referrers)
        {
            await Referrers(http, referrers.Groups["name"].Value, referrers.Groups["digest"].Value).ExecuteAsync(http);
            return;
        }

        var manifest = ManifestPath().Match(path);
        if (manifest.Success)
        {
            var name = manifest.Groups["name"].Value;
            var reference = Uri.UnescapeDataString(manifest.Groups["reference"].Value);
            var (project, repository) = Split(name);
            bool projectExists;
            lock (state.Sync)
            {
                projectExists = state.Projects.ContainsKey(project);
            }

            if (!projectExists)
            {
                await SimHttp.Error(404, "NOT_FOUND", $"project {project} not found").ExecuteAsync(http);
                return;
            }

            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            {
                var blocked = await PullBlockAsync(http, project, repository, reference, user, cancellationToken);
                if (blocked is not null)
                {
                    await blocked.ExecuteAsync(http);
                    return;
                }
            }
            else if (HttpMethods.IsPut(http.Request.Method))
            {
                await PushManifestAsync(http, raw, project, repository, reference, user ?? options.AnonymousOperator, cancellationToken);
                return;
            }
            else if (HttpMethods.IsDelete(http.Request.Method))
            {
                using var deleted = await ForwardAsync(http, raw, body: null, cancellationToken);
                if (deleted.IsSuccessStatusCode)
                {
                    Forget(project, repository, reference);
                }

                await CopyResponseAsync(deleted, http, null, cancellationToken);
                return;
            }
        }

        using var upstream = await ForwardAsync(http, raw, body: null, cancellationToken);
        if (manifest.Success && HttpMethods.IsGet(http.Request.Method) && upstream.IsSuccessStatusCode
            && !http.Request.Headers.UserAgent.ToString().Contains("harbor-registry-client", StringComparison.Ordinal))
        {
            // Harbor fires PULL_ARTIFACT for manifest GETs (not HEADs, not replication).
            var (project, repository) = Split(manifest.Groups["name"].Value);
            var reference = Uri.UnescapeDataString(manifest.Groups["reference"].Value);
            if (state.FindArtifact(project, repository, reference) is { } pulled)
            {
                webhooks.ArtifactPulled(pulled, reference, user ?? "");
            }
        }

        await CopyResponseAsync(upstream, http, null, cancellationToken);
    }

    /// <summary>The OCI 1.1 referrers API from the recorded subjects (an empty index when there are none).</summary>
    private IResult Referrers(HttpContext http, string name, string digest)
    {
        var (project, repository) = Split(name);
        var artifactType = http.Request.Query["artifactType"].ToString();
        List<SimArtifact> found;
        lock (state.Sync)
        {
            found = state.Artifacts.Where(a => a.Project == project && a.Repository == repository && a.SubjectDigest == digest && !a.Tags.Any(t => SignatureTag().IsMatch(t))
                && (artifactType.Length == 0 || a.ArtifactType == artifactType)).ToList();
        }

        if (artifactType.Length > 0)
        {
            http.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(found.Select(a => (JsonNode)new JsonObject
            {
                ["mediaType"] = a.ManifestMediaType,
                ["digest"] = a.Digest,
                ["size"] = a.Size,
                ["artifactType"] = a.ArtifactType,
            }).ToArray()),
        };
        return Results.Text(index.ToJsonString(), "application/vnd.oci.image.index.v1+json", System.Text.Encoding.UTF8, 200);
    }

    private string? Authenticate(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            lock (state.Sync)
            {
                return state.Tokens.GetValueOrDefault(header[7..].Trim());
            }
        }

        return SimHttp.BasicUser(http.Request, options);
    }

    private static (string Project, string Repository) Split(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (name, "") : (name[..slash], name[(slash + 1)..]);
    }

    private async Task<string?> ResolveTagAsync(HttpContext http, string name, string tag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(Upstream, $"v2/{name}/manifests/{tag}"));
        foreach (var type in ManifestAccept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        request.Headers.Host = http.Request.Host.ToString();
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode && response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
    }

    private async Task<HttpResponseMessage> ForwardAsync(HttpContext http, string raw, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(Upstream, raw.TrimStart('/')));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        else if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(http.Request.Body);
        }

        foreach (var (name, values) in http.Request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        // The registry builds Location URLs from Host: keep the simulator's so clients come back through it.
        request.Headers.Host = http.Request.Host.ToString();
        return await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private static async Task CopyResponseAsync(HttpResponseMessage upstream, HttpContext http, byte[]? body, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = (int)upstream.StatusCode;
        foreach (var (name, values) in upstream.Headers.Concat(upstream.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                http.Response.Headers[name] = values.ToArray();
            }
        }

        if (body is not null)
        {
            await http.Response.Body.WriteAsync(body, cancellationToken);
        }
        else if (!HttpMethods.IsHead(http.Request.Method))
        {
            await upstream.Content.CopyToAsync(http.Response.Body, cancellationToken);
        }
    }

    [GeneratedRegex("^/v2/(?<name>.+?)/manifests/(?<reference>[^/]+)$")]
    private static partial Regex ManifestPath();

    [GeneratedRegex("^/v2/(?<name>.+?)/referrers/(?<digest>sha256:[a-f0-9]{64})$")]
    private static partial Regex ReferrersPath();

    [GeneratedRegex("^sha256-(?<hex>[0-9a-f]{64})\\.(?<kind>sig|att|sbom)$")]
    private static partial Regex SignatureTag();
}
