using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>A plain registry client pulling a manifest as docker or a cluster node would: a pull-only token from the
/// simulator's <c>/service/token</c> when the registry asks for one, and a User-Agent without "cosign", so none of
/// Harbor's policy-check bypasses apply. Returns the status and Harbor's error message, if any.</summary>
internal static class HarborPullClient
{
    public const string UserAgent = "docker/27.5.1 go/go1.22.12 os/linux arch/amd64";

    public static async Task<(int Status, string? Message)> PullAsync(Uri simulator, string project, string repository, string reference, CancellationToken ct,
        bool head = false, string? userAgent = null, string scope = "pull")
    {
        using var http = new HttpClient { BaseAddress = simulator };
        http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent ?? UserAgent);
        var path = $"/v2/{project}/{repository}/manifests/{reference}";
        using var first = await SendAsync(http, path, head, null, ct);
        if (first.StatusCode != HttpStatusCode.Unauthorized)
        {
            return await ResultAsync(first, ct);
        }

        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, $"/service/token?service=harbor-registry&scope={Uri.EscapeDataString($"repository:{project}/{repository}:{scope}")}");
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{SimulatorSession.User}:{SimulatorSession.Password}")));
        using var tokenResponse = await http.SendAsync(tokenRequest, ct);
        tokenResponse.EnsureSuccessStatusCode();
        using var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync(ct));
        using var second = await SendAsync(http, path, head, token.RootElement.GetProperty("token").GetString(), ct);
        return await ResultAsync(second, ct);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, bool head, string? token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(head ? HttpMethod.Head : HttpMethod.Get, path);
        foreach (var type in new[] { "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.v2+json" })
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request, ct);
    }

    private static async Task<(int Status, string? Message)> ResultAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return (status, null);
        }

        var body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var json = JsonDocument.Parse(body);
            return (status, json.RootElement.GetProperty("errors")[0].GetProperty("message").GetString());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return (status, body);
        }
    }
}
