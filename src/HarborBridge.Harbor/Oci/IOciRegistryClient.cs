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
