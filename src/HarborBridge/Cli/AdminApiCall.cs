using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace HarborBridge.Cli;

/// <summary>One call of HarborBridge's admin API from a CLI verb: bearer token, JSON body, the answer printed on success and
/// the problem's title and detail on refusal. Returns 0 on success, 1 when refused or unreachable.</summary>
internal static class AdminApiCall
{
    public const string TokenVariable = "HARBORBRIDGE_ADMIN_TOKEN";

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

    public static async Task<int> SendAsync(Uri baseUri, string token, HttpMethod method, string path, object? body, HttpMessageHandler? handler,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var services = new ServiceCollection().AddHttpClient("admin-api", c => c.Timeout = TimeSpan.FromMinutes(2))
            .ConfigurePrimaryHttpMessageHandler(() => handler ?? new SocketsHttpHandler()).Services.BuildServiceProvider();
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("admin-api");
        using var message = new HttpRequestMessage(method, new Uri(baseUri, path));
        if (body is not null)
        {
            message.Content = JsonContent.Create(body);
        }

        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"error: cannot reach HarborBridge at {baseUri}: {e.Message}");
            return 1;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync(text);
                return 0;
            }

            await error.WriteLineAsync($"error: HTTP {(int)response.StatusCode}: {Explain(text)}");
            return 1;
        }
    }

    private static string Explain(string body)
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
