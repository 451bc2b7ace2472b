using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace HarborBridge.Cli;

/// <summary>How the CLI verbs that act through a running HarborBridge (release, exceptions, policy preview/apply) call its
/// admin API: bearer token, the answer printed on success and the problem's title and detail on refusal.</summary>
internal static class AdminApiCall
{
    public const string TokenVariable = "HARBORBRIDGE_ADMIN_TOKEN";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The base address, or null after printing why <paramref name="url"/> is not one.</summary>
    public static async Task<Uri?> BaseAsync(string url, TextWriter error)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var baseUri) && baseUri.Scheme is "http" or "https")
        {
            return baseUri;
        }

        await error.WriteLineAsync($"error: --url '{url}' is not an http(s) address.");
        return null;
    }

    /// <summary>One call with a JSON body (or none). Returns 0 on success (the answer on <paramref name="output"/>), 1 when
    /// refused or unreachable (the reason on <paramref name="error"/>).</summary>
    public static async Task<int> SendAsync(Uri baseUri, string token, HttpMethod method, string path, object? body, HttpMessageHandler? handler,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var content = body is null ? null : JsonContent.Create(body);
        if (await RequestAsync(baseUri, token, method, path, content, handler, DefaultTimeout, error, cancellationToken) is not var (status, text))
        {
            return 1;
        }

        if ((int)status is >= 200 and < 300)
        {
            await output.WriteLineAsync(text);
            return 0;
        }

        await error.WriteLineAsync($"error: HTTP {(int)status}: {Explain(text)}");
        return 1;
    }

    /// <summary>One call; the status and body, or null (and a message on <paramref name="error"/>) when the server cannot be
    /// reached.</summary>
    public static async Task<(HttpStatusCode Status, string Body)?> RequestAsync(Uri baseUri, string token, HttpMethod method, string path,
        HttpContent? content, HttpMessageHandler? handler, TimeSpan timeout, TextWriter error, CancellationToken cancellationToken)
    {
        using var services = new ServiceCollection().AddHttpClient("admin-api", c => c.Timeout = timeout)
            .ConfigurePrimaryHttpMessageHandler(() => handler ?? new SocketsHttpHandler()).Services.BuildServiceProvider();
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("admin-api");
        using var message = new HttpRequestMessage(method, new Uri(baseUri, path)) { Content = content };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await http.SendAsync(message, cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"error: cannot reach HarborBridge at {baseUri}: {e.Message}");
            return null;
        }
    }

    /// <summary>A problem+json answer's title and detail (or the start of any other body).</summary>
    public static string Explain(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var title = document.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = document.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            return string.Join(": ", new[] { title, detail }.Where(x => !string.IsNullOrEmpty(x)));
        }
        catch (JsonException)
        {
            return body.Length > 500 ? body[..500] : body;
        }
    }
}
