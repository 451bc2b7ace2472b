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

    /// <summary>The start of an error answer, on one line, for an error message.</summary>
    public static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        text = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }
}
