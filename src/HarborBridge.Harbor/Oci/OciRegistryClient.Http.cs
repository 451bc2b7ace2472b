using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using HarborBridge.Harbor.Api;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace HarborBridge.Harbor.Oci;

/// <summary>The HTTP side of the OCI client: upload sessions, request URIs, paging links, reading indexes and JSON bodies,
/// sending (resilience failures become <see cref="OciRegistryException"/>) and the registry's error bodies.</summary>
internal sealed partial class OciRegistryClient
{
    private async Task CompleteUploadAsync(OciRepository repository, Uri location, string digest, byte[] content, CancellationToken cancellationToken)
    {
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var target = new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest));
        using var request = new HttpRequestMessage(HttpMethod.Put, target) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && await BlobExistsAsync(repository, digest, cancellationToken))
        {
            // A retried PUT whose first attempt had completed the upload: the blob is there.
            return;
        }

        await EnsureSuccessAsync(response, $"upload {digest} to {repository}", cancellationToken);
        var announced = DigestHeader(response);
        if (announced is not null && announced != digest)
        {
            throw new OciDigestMismatchException($"The registry stored the blob as {announced}, expected {digest}.");
        }
    }

    private static Uri UploadLocation(HttpResponseMessage response, Uri requestUri, OciRepository repository)
    {
        var location = response.Headers.Location
            ?? throw new OciRegistryException($"The registry started an upload to {repository} without a Location header.", (int)response.StatusCode, []);
        return location.IsAbsoluteUri ? location : new Uri(requestUri, location);
    }

    private static HttpRequestMessage ManifestRequest(HttpMethod method, OciRepository repository, string reference)
    {
        var request = new HttpRequestMessage(method, ManifestUri(repository, reference));
        foreach (var type in OciMediaTypes.Manifests)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        return request;
    }

    private static Uri ManifestUri(OciRepository repository, string reference)
    {
        if (!OciDigest.IsDigest(reference) && !OciDigest.Tag().IsMatch(reference))
        {
            throw new ArgumentException($"'{reference}' is neither a tag nor a digest.", nameof(reference));
        }

        return new Uri(repository.Registry, $"v2/{repository.Name}/manifests/{reference}");
    }

    private static Uri BlobUri(OciRepository repository, string digest) => new(repository.Registry, $"v2/{repository.Name}/blobs/{digest}");

    private static void RequireDigest(string digest)
    {
        if (!OciDigest.IsDigest(digest))
        {
            throw new ArgumentException($"'{digest}' is not a digest (sha256:<64 hex>).", nameof(digest));
        }
    }

    private static string? DigestHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;

    private static Uri? NextLink(HttpResponseMessage response, Uri requestUri)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var part in links.SelectMany(l => l.Split(',')))
        {
            var open = part.IndexOf('<', StringComparison.Ordinal);
            var close = part.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open && part.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase))
            {
                return new Uri(requestUri, part[(open + 1)..close]);
            }
        }

        return null;
    }

    private static IReadOnlyList<OciDescriptor> Filter(IReadOnlyList<OciDescriptor> descriptors, string? artifactType) =>
        artifactType is null ? descriptors : descriptors.Where(d => d.ArtifactType == artifactType).ToList();

    private static List<OciDescriptor> ReadIndex(byte[] content, string what)
    {
        try
        {
            var index = JsonSerializer.Deserialize<IndexDocument>(content);
            return index?.Manifests ?? [];
        }
        catch (JsonException e)
        {
            throw new OciRegistryException($"The {what} is not a valid OCI index: {e.Message}", null, []);
        }
    }

    private static string? ReadMediaType(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("mediaType", out var type)
                ? type.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string what, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(cancellationToken)
                ?? throw new OciRegistryException($"The registry returned an empty body for {what}.", (int)response.StatusCode, []);
        }
        catch (JsonException e)
        {
            throw new OciRegistryException($"The registry returned unreadable JSON for {what}: {e.Message}", (int)response.StatusCode, []);
        }
    }

    /// <summary>Sends through the resilient client; no answer at all (network, timeout, open circuit) becomes an
    /// <see cref="OciRegistryException"/> without a status.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, completion, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or TaskCanceledException)
        {
            throw new OciRegistryException($"Registry {request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)} got no response: {e.GetType().Name}", null, [], e);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = response.RequestMessage?.Method == HttpMethod.Head ? [] : await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var errors = HarborClient.ReadErrors(body);
        var detail = errors.Count > 0 ? ": " + string.Join("; ", errors.Select(e => $"{e.Code} {e.Message}")) : "";
        throw new OciRegistryException(
            string.Create(CultureInfo.InvariantCulture, $"Registry {operation} failed with HTTP {(int)response.StatusCode}{detail}"),
            (int)response.StatusCode,
            errors);
    }

    private sealed record TagList([property: JsonPropertyName("tags")] List<string>? Tags);

    private sealed record FallbackIndex(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("manifests")] List<OciDescriptor> Manifests);

    private sealed record IndexDocument([property: JsonPropertyName("manifests")] List<OciDescriptor>? Manifests);
}
