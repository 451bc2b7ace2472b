using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace HarborBridge.Harbor.Oci;

/// <summary>OCI distribution client: manifests, blobs (monolithic upload, mount), tags and referrers, with token
/// auth in <see cref="RegistryAuthHandler"/> and resilience from the factory-managed <see cref="HttpClient"/>.</summary>
internal sealed partial class OciRegistryClient(HttpClient http) : IOciRegistryClient
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
}
