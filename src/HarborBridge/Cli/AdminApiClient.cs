using System.Net;
using System.Net.Http.Headers;

namespace HarborBridge.Cli;

/// <summary>How the CLI verbs that act through a running HarborBridge (release, policy preview/apply) call its admin API.</summary>
internal static class AdminApiClient
{
    /// <summary>POSTs <paramref name="content"/> with the admin token; null (and a message on <paramref name="error"/>) when the
    /// server cannot be reached.</summary>
    public static async Task<(HttpStatusCode Status, string Body)?> PostAsync(Uri baseUri, string path, HttpContent content, string token,
        HttpMessageHandler? handler, TimeSpan timeout, TextWriter error, CancellationToken cancellationToken)
    {
        using var services = new ServiceCollection().AddHttpClient("admin-api", c => c.Timeout = timeout)
            .ConfigurePrimaryHttpMessageHandler(() => handler ?? new SocketsHttpHandler()).Services.BuildServiceProvider();
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("admin-api");
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path)) { Content = content };
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
}
