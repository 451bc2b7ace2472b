using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using HarborBridge.Core.Harbor;
using HarborBridge.Harbor.Api;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace HarborBridge.Harbor.Oci;

/// <summary>Port to an OCI distribution registry (Harbor's <c>/v2/</c>).</summary>
public interface IOciRegistryClient
{
    /// <summary>The manifest's descriptor from a HEAD, or null when it does not exist.</summary>
    Task<OciDescriptor?> HeadManifestAsync(OciRepository repository, string reference, CancellationToken cancellationToken);

    /// <summary>The manifest, verified against its digest; null when it does not exist.</summary>
    Task<OciManifest?> GetManifestAsync(OciRepository repository, string reference, CancellationToken cancellationToken);

    /// <summary>Puts a manifest under a tag or its digest. <paramref name="ifMatchDigest"/> sends <c>If-Match</c> for
    /// registries that honour it (docker-registry 2.8 ignores it; see docs/harbor.md).</summary>
    Task<OciPushResult> PutManifestAsync(OciRepository repository, string reference, byte[] content, string mediaType, string? ifMatchDigest, CancellationToken cancellationToken);

    Task<bool> BlobExistsAsync(OciRepository repository, string digest, CancellationToken cancellationToken);

    /// <summary>The blob, verified against its digest.</summary>
    Task<byte[]> GetBlobAsync(OciRepository repository, string digest, CancellationToken cancellationToken);

    /// <summary>Uploads a blob in one request unless it exists already. Returns its descriptor-ready digest and
    /// whether bytes were sent. <paramref name="mountFrom"/> (a repository name in the same registry) is tried first.</summary>
    Task<(string Digest, bool Uploaded)> PushBlobAsync(OciRepository repository, byte[] content, string? mountFrom, CancellationToken cancellationToken);

    /// <summary>Uploads a blob in one monolithic upload (POST, then PUT) without asking first whether it exists: for
    /// content the caller knows to be new, saving the HEAD round trip. Uploading a blob that exists is harmless.</summary>
    Task<string> UploadBlobAsync(OciRepository repository, byte[] content, CancellationToken cancellationToken);

    /// <summary>Cross-repository mount; false when the registry opened an upload instead (no access or no blob).</summary>
    Task<bool> MountBlobAsync(OciRepository repository, string digest, string fromRepository, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListTagsAsync(OciRepository repository, CancellationToken cancellationToken);

    /// <summary>Referrers of <paramref name="digest"/> from the referrers API, or from the fallback tag when the
    /// registry answers 404 there. <paramref name="artifactType"/> filters when given.</summary>
    Task<OciReferrers> ListReferrersAsync(OciRepository repository, string digest, string? artifactType, CancellationToken cancellationToken);

    /// <summary>Pushes a manifest that has a <c>subject</c> (by digest). When the registry does not confirm the subject
    /// (<c>OCI-Subject</c>), the manifest is added to the fallback index tagged <c>sha256-&lt;hex&gt;</c> of the subject,
    /// as OCI 1.1 prescribes for registries without the referrers API. Two writers updating that index at the same
    /// time can lose an entry (the registry ignores If-Match); callers that care read it back.</summary>
    Task<OciPushResult> PushReferrerAsync(OciRepository repository, byte[] manifest, string mediaType, string subjectDigest, string? artifactType, CancellationToken cancellationToken);

    /// <summary>Deletes a manifest by digest; false when it did not exist.</summary>
    Task<bool> DeleteManifestAsync(OciRepository repository, string digest, CancellationToken cancellationToken);
}

/// <summary>OCI distribution client: manifests, blobs (monolithic upload, mount), tags and referrers, with token
/// auth in <see cref="RegistryAuthHandler"/> and resilience from the factory-managed <see cref="HttpClient"/>.</summary>
internal sealed class OciRegistryClient(HttpClient http) : IOciRegistryClient
{
    public const string HttpClientName = "oci-registry";
    private const int MaxPages = 1000;

    public async Task<OciDescriptor?> HeadManifestAsync(OciRepository repository, string reference, CancellationToken cancellationToken)
    {
        using var request = ManifestRequest(HttpMethod.Head, repository, reference);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"HEAD manifest {repository}:{reference}", cancellationToken);
        var digest = DigestHeader(response);
        if (digest is null)
        {
            // Without Docker-Content-Digest a HEAD says nothing verifiable: read the manifest instead.
            return (await GetManifestAsync(repository, reference, cancellationToken))?.Descriptor;
        }

        if (OciDigest.IsDigest(reference) && !string.Equals(reference, digest, StringComparison.Ordinal))
        {
            throw new OciDigestMismatchException($"HEAD {repository}@{reference} answered with digest {digest}.");
        }

        return new OciDescriptor(response.Content.Headers.ContentType?.MediaType ?? "", digest, response.Content.Headers.ContentLength ?? 0);
    }

    public async Task<OciManifest?> GetManifestAsync(OciRepository repository, string reference, CancellationToken cancellationToken)
    {
        using var request = ManifestRequest(HttpMethod.Get, repository, reference);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"GET manifest {repository}:{reference}", cancellationToken);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var announced = DigestHeader(response);
        string digest;
        if (OciDigest.IsDigest(reference))
        {
            OciDigest.Verify(reference, content, $"manifest {repository}@{reference}");
            digest = reference;
        }
        else if (announced is not null)
        {
            OciDigest.Verify(announced, content, $"manifest {repository}:{reference}");
            digest = announced;
        }
        else
        {
            digest = OciDigest.Sha256(content);
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null or "application/json" or "text/plain")
        {
            mediaType = ReadMediaType(content) ?? mediaType ?? "";
        }

        return new OciManifest(new OciDescriptor(mediaType, digest, content.LongLength), content);
    }

    public async Task<OciPushResult> PutManifestAsync(OciRepository repository, string reference, byte[] content, string mediaType, string? ifMatchDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        var digest = OciDigest.Sha256(content);
        if (OciDigest.IsDigest(reference) && reference != digest)
        {
            OciDigest.Verify(reference, content, $"manifest to put at {repository}@{reference}");
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, ManifestUri(repository, reference)) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        if (ifMatchDigest is not null)
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{ifMatchDigest}\""));
        }

        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"PUT manifest {repository}:{reference}", cancellationToken);
        var announced = DigestHeader(response);
        if (announced is not null && announced.StartsWith("sha256:", StringComparison.Ordinal) && announced != digest)
        {
            throw new OciDigestMismatchException($"The registry stored manifest {repository}:{reference} as {announced}, but its bytes hash to {digest}.");
        }

        var subject = response.Headers.TryGetValues("OCI-Subject", out var values) ? values.FirstOrDefault() : null;
        return new OciPushResult(digest, subject);
    }

    public async Task<bool> BlobExistsAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        RequireDigest(digest);
        using var request = new HttpRequestMessage(HttpMethod.Head, BlobUri(repository, digest));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, $"HEAD blob {repository}@{digest}", cancellationToken);
        return true;
    }

    public async Task<byte[]> GetBlobAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        RequireDigest(digest);
        using var request = new HttpRequestMessage(HttpMethod.Get, BlobUri(repository, digest));
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"GET blob {repository}@{digest}", cancellationToken);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        OciDigest.Verify(digest, content, $"blob {repository}@{digest}");
        return content;
    }

    public async Task<(string Digest, bool Uploaded)> PushBlobAsync(OciRepository repository, byte[] content, string? mountFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var digest = OciDigest.Sha256(content);
        if (await BlobExistsAsync(repository, digest, cancellationToken))
        {
            return (digest, false);
        }

        if (mountFrom is not null && mountFrom != repository.Name && await MountBlobAsync(repository, digest, mountFrom, cancellationToken))
        {
            return (digest, false);
        }

        await UploadBlobAsync(repository, content, cancellationToken);
        return (digest, true);
    }

    public async Task<string> UploadBlobAsync(OciRepository repository, byte[] content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var digest = OciDigest.Sha256(content);
        using var start = new HttpRequestMessage(HttpMethod.Post, new Uri(repository.Registry, $"v2/{repository.Name}/blobs/uploads/"));
        using var started = await http.SendAsync(start, cancellationToken);
        await EnsureSuccessAsync(started, $"start upload to {repository}", cancellationToken);
        var location = UploadLocation(started, start.RequestUri!, repository);
        await CompleteUploadAsync(repository, location, digest, content, cancellationToken);
        return digest;
    }

    public async Task<bool> MountBlobAsync(OciRepository repository, string digest, string fromRepository, CancellationToken cancellationToken)
    {
        RequireDigest(digest);
        var uri = new Uri(repository.Registry,
            $"v2/{repository.Name}/blobs/uploads/?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(fromRepository)}");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Options.Set(RegistryAuthHandler.MountFromOption, fromRepository);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return true;
        }

        // 202: the registry could not mount and opened an ordinary upload session, which is left to expire.
        await EnsureSuccessAsync(response, $"mount {digest} from {fromRepository} into {repository}", cancellationToken);
        return false;
    }

    public async Task<IReadOnlyList<string>> ListTagsAsync(OciRepository repository, CancellationToken cancellationToken)
    {
        var tags = new List<string>();
        Uri? next = new(repository.Registry, $"v2/{repository.Name}/tags/list?n=100");
        for (var page = 0; next is not null && page < MaxPages; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            using var response = await SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound && page == 0)
            {
                return [];
            }

            await EnsureSuccessAsync(response, $"list tags of {repository}", cancellationToken);
            var body = await ReadJsonAsync<TagList>(response, $"tags of {repository}", cancellationToken);
            tags.AddRange(body.Tags ?? []);
            next = NextLink(response, request.RequestUri!);
        }

        return tags;
    }

    public async Task<OciReferrers> ListReferrersAsync(OciRepository repository, string digest, string? artifactType, CancellationToken cancellationToken)
    {
        RequireDigest(digest);
        var path = $"v2/{repository.Name}/referrers/{digest}";
        if (artifactType is not null)
        {
            path += "?artifactType=" + Uri.EscapeDataString(artifactType);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(repository.Registry, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.ImageIndex));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // No referrers API: the referrers live in an index tagged with the digest (sha256-<hex>).
            var fallback = await GetManifestAsync(repository, OciDigest.FallbackTag(digest), cancellationToken);
            if (fallback is null)
            {
                return new OciReferrers([], FromFallbackTag: true);
            }

            var fallbackIndex = ReadIndex(fallback.Content, $"referrers fallback index of {repository}@{digest}");
            return new OciReferrers(Filter(fallbackIndex, artifactType), FromFallbackTag: true);
        }

        await EnsureSuccessAsync(response, $"list referrers of {repository}@{digest}", cancellationToken);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var index = ReadIndex(content, $"referrers of {repository}@{digest}");
        var filtered = response.Headers.Contains("OCI-Filters-Applied") ? index : Filter(index, artifactType);
        return new OciReferrers(filtered, FromFallbackTag: false);
    }

    public async Task<OciPushResult> PushReferrerAsync(OciRepository repository, byte[] manifest, string mediaType, string subjectDigest, string? artifactType, CancellationToken cancellationToken)
    {
        RequireDigest(subjectDigest);
        var digest = OciDigest.Sha256(manifest);
        var pushed = await PutManifestAsync(repository, digest, manifest, mediaType, null, cancellationToken);
        if (pushed.Subject is not null)
        {
            return pushed;
        }

        var fallbackTag = OciDigest.FallbackTag(subjectDigest);
        var existing = await GetManifestAsync(repository, fallbackTag, cancellationToken);
        var entries = existing is null ? [] : ReadIndex(existing.Content, $"referrers fallback index of {repository}@{subjectDigest}");
        if (entries.Any(d => d.Digest == digest))
        {
            return pushed;
        }

        entries.Add(new OciDescriptor(mediaType, digest, manifest.LongLength, artifactType));
        var index = JsonSerializer.SerializeToUtf8Bytes(new FallbackIndex(2, OciMediaTypes.ImageIndex, entries));
        await PutManifestAsync(repository, fallbackTag, index, OciMediaTypes.ImageIndex, existing?.Descriptor.Digest, cancellationToken);
        return pushed;
    }

    public async Task<bool> DeleteManifestAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        RequireDigest(digest);
        using var request = new HttpRequestMessage(HttpMethod.Delete, ManifestUri(repository, digest));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, $"DELETE manifest {repository}@{digest}", cancellationToken);
        return true;
    }

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
