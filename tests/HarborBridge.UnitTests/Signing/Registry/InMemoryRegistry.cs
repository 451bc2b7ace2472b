using System.Collections.Concurrent;
using System.Security.Cryptography;
using HarborBridge.Harbor.Oci;

namespace HarborBridge.UnitTests.Signing.Registry;

/// <summary>A registry in memory that counts calls the way HTTP round trips are counted (an upload is POST + PUT) and
/// can let "another signer" overwrite a tag right after one of our manifest PUTs. Like docker-registry, it refuses a manifest
/// whose config blob it does not hold (400 MANIFEST_BLOB_UNKNOWN); layers are not checked, so that tests can start from
/// another tool's manifest without its blobs.</summary>
internal sealed class InMemoryRegistry : IOciRegistryClient
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new();
    private readonly ConcurrentDictionary<string, byte[]> _manifests = new();
    private readonly ConcurrentDictionary<string, string> _tags = new();

    public int RoundTrips;

    /// <summary>Called after each manifest PUT with the tag; lets a test overwrite it (a lost update).</summary>
    public Action<string>? AfterPut { get; set; }

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public byte[]? Manifest(string tag) => _tags.TryGetValue(tag, out var d) ? _manifests[d] : null;

    public byte[] Blob(string digest) => _blobs[digest];

    public void Put(string tag, byte[] manifest)
    {
        _manifests[Digest(manifest)] = manifest;
        _tags[tag] = Digest(manifest);
    }

    public void PutBlob(byte[] content) => _blobs[Digest(content)] = content;

    public Task<OciDescriptor?> HeadManifestAsync(OciRepository repository, string reference, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref RoundTrips);
        var content = Resolve(reference);
        return Task.FromResult(content is null ? null : new OciDescriptor(OciMediaTypes.ImageManifest, Digest(content), content.Length));
    }

    public Task<OciManifest?> GetManifestAsync(OciRepository repository, string reference, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref RoundTrips);
        var content = Resolve(reference);
        return Task.FromResult(content is null ? null : new OciManifest(new OciDescriptor(OciMediaTypes.ImageManifest, Digest(content), content.Length), content));
    }

    public Task<OciPushResult> PutManifestAsync(OciRepository repository, string reference, byte[] content, string mediaType, string? ifMatchDigest, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref RoundTrips);
        var config = System.Text.Json.JsonDocument.Parse(content).RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        if (!_blobs.ContainsKey(config))
        {
            return Task.FromException<OciPushResult>(new OciRegistryException("blob unknown to registry", 400,
                [new HarborBridge.Core.Harbor.HarborError("MANIFEST_BLOB_UNKNOWN", $"blob unknown to registry: {config}")]));
        }

        Put(reference, content);
        AfterPut?.Invoke(reference);
        return Task.FromResult(new OciPushResult(Digest(content), null));
    }

    public Task<bool> BlobExistsAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref RoundTrips);
        return Task.FromResult(_blobs.ContainsKey(digest));
    }

    public Task<byte[]> GetBlobAsync(OciRepository repository, string digest, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref RoundTrips);
        return _blobs.TryGetValue(digest, out var blob)
            ? Task.FromResult(blob)
            : throw new OciRegistryException("blob unknown", 404, []);
    }

    public async Task<(string Digest, bool Uploaded)> PushBlobAsync(OciRepository repository, byte[] content, string? mountFrom, CancellationToken cancellationToken)
    {
        if (await BlobExistsAsync(repository, Digest(content), cancellationToken))
        {
            return (Digest(content), false);
        }

        return (await UploadBlobAsync(repository, content, cancellationToken), true);
    }

    public Task<string> UploadBlobAsync(OciRepository repository, byte[] content, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref RoundTrips, 2);
        PutBlob(content);
        return Task.FromResult(Digest(content));
    }

    public Task<bool> MountBlobAsync(OciRepository repository, string digest, string fromRepository, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<OciPushResult> PushReferrerAsync(OciRepository repository, byte[] manifest, string mediaType, string subjectDigest, string? artifactType, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<bool> DeleteManifestAsync(OciRepository repository, string digest, CancellationToken cancellationToken) =>
        Task.FromResult(_manifests.TryRemove(digest, out _));

    public Task<IReadOnlyList<string>> ListTagsAsync(OciRepository repository, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(_tags.Keys.ToList());

    public Task<OciReferrers> ListReferrersAsync(OciRepository repository, string digest, string? artifactType, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    private byte[]? Resolve(string reference) =>
        reference.StartsWith("sha256:", StringComparison.Ordinal)
            ? _manifests.GetValueOrDefault(reference)
            : _tags.TryGetValue(reference, out var digest) ? _manifests[digest] : null;
}
