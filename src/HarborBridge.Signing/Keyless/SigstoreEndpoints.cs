using System.Net;
using System.Net.Http.Headers;

namespace HarborBridge.Signing.Keyless;

/// <summary>Builds service URLs from a configured base URL and prints them without credentials.</summary>
internal static class SigstoreEndpoints
{
    public static Uri Resolve(string baseUrl, string path, string service)
    {
        if (!Uri.TryCreate(baseUrl?.Trim(), UriKind.Absolute, out var root) || (root.Scheme != Uri.UriSchemeHttps && root.Scheme != Uri.UriSchemeHttp))
        {
            throw new KeylessException($"The {service} URL is not an absolute http(s) URL.");
        }

        return new Uri(root.GetLeftPart(UriPartial.Path).TrimEnd('/') + path + root.Query);
    }

    /// <summary>Scheme, host, port and path only: no user info, no query (either may carry a secret).</summary>
    public static string ForLog(Uri url) =>
        new UriBuilder(url) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri.GetLeftPart(UriPartial.Path);

    /// <summary>POSTs a JSON body to a Sigstore service and returns the answer's bytes; an unreachable service, a time-out
    /// and any answer other than 200/201 become a <see cref="KeylessException"/> naming the service and its URL (for logs).</summary>
    /// <param name="refused">What the service did not do, e.g. "refused the certificate request".</param>
    public static async Task<byte[]> PostJsonAsync(
        HttpClient client, Uri url, byte[] body, string service, string refused, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsync(url, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new KeylessException($"{service} at {ForLog(url)} is unreachable: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KeylessException($"{service} at {ForLog(url)} did not answer in time.", ex);
        }

        using (response)
        {
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
            {
                var reason = await ErrorTextAsync(response, cancellationToken).ConfigureAwait(false);
                throw new KeylessException($"{service} at {ForLog(url)} {refused} (HTTP {(int)response.StatusCode}): {reason}");
            }

            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The start of an error answer, on one line, for an error message.</summary>
    public static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        text = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }
}
