using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using HarborBridge.Core.Harbor;

namespace HarborBridge.Harbor.Oci;

public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string ImageLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string Empty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>What a manifest GET/HEAD accepts: images and indexes, OCI and Docker.</summary>
    public static readonly IReadOnlyList<string> Manifests = [ImageManifest, ImageIndex, DockerManifest, DockerManifestList];
}

/// <summary>A repository in a registry, e.g. <c>https://harbor.example.com</c> + <c>payments/team/api</c>.</summary>
public sealed record OciRepository(Uri Registry, string Name)
{
    /// <summary>Parses <c>host[:port]/path/name</c>; <paramref name="plainHttp"/> selects http instead of https.</summary>
    public static OciRepository Parse(string repository, bool plainHttp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        var slash = repository.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == repository.Length - 1)
        {
            throw new ArgumentException($"'{repository}' is not a repository reference of the form host[:port]/name.", nameof(repository));
        }

        var name = repository[(slash + 1)..];
        if (!OciDigest.RepositoryName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid repository name (lower-case path components).", nameof(repository));
        }

        return new OciRepository(new Uri($"{(plainHttp ? "http" : "https")}://{repository[..slash]}/"), name);
    }

    /// <summary>A repository in Harbor's own registry: same scheme and host as the Harbor URL.</summary>
    public static OciRepository InHarbor(Uri harborUrl, string project, string repository)
    {
        ArgumentNullException.ThrowIfNull(harborUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        return new OciRepository(new Uri(harborUrl.GetLeftPart(UriPartial.Authority) + "/"), $"{project}/{repository}");
    }

    public string Authority => Registry.Authority;

    public override string ToString() => $"{Registry.Authority}/{Name}";
}

public sealed record OciDescriptor(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("artifactType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ArtifactType = null,
    [property: JsonPropertyName("annotations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Annotations = null);

/// <summary>A manifest whose bytes were checked against its digest.</summary>
public sealed record OciManifest(OciDescriptor Descriptor, byte[] Content);

/// <summary>The result of a manifest PUT: its digest, and the subject Harbor/the registry reported
/// (<c>OCI-Subject</c>), when the manifest had one and the registry supports referrers.</summary>
public sealed record OciPushResult(string Digest, string? Subject);

/// <summary>Referrers of a manifest, and whether they came from the fallback tag (<c>sha256-&lt;hex&gt;</c>)
/// because the registry has no referrers API.</summary>
public sealed record OciReferrers(IReadOnlyList<OciDescriptor> Manifests, bool FromFallbackTag);

public sealed record RegistryCredential(string Username, string Password);

/// <summary>Registry credentials by authority (<c>host[:port]</c>).</summary>
public interface IRegistryCredentialProvider
{
    RegistryCredential? Find(string authority);
}

public sealed class StaticRegistryCredentialProvider(IReadOnlyDictionary<string, RegistryCredential> credentials) : IRegistryCredentialProvider
{
    public RegistryCredential? Find(string authority) =>
        credentials.TryGetValue(authority, out var credential) ? credential : null;
}

/// <summary>A registry call failed. Errors are the registry's (or Harbor's) <c>errors[]</c>.</summary>
public class OciRegistryException(string message, int? statusCode, IReadOnlyList<HarborError> errors, Exception? inner = null)
    : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;

    public IReadOnlyList<HarborError> Errors { get; } = errors;

    public string? Code => Errors.Count > 0 ? Errors[0].Code : null;
}

/// <summary>Content did not match the digest it was fetched by or announced with.</summary>
public sealed class OciDigestMismatchException(string message) : OciRegistryException(message, null, []);

public static partial class OciDigest
{
    public static string Sha256(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public static bool IsDigest(string value) => DigestPattern().IsMatch(value);

    /// <summary>Computes the digest of <paramref name="content"/> with the algorithm of <paramref name="digest"/>.</summary>
    public static string Compute(string digest, ReadOnlySpan<byte> content)
    {
        var algorithm = digest[..digest.IndexOf(':', StringComparison.Ordinal)];
        return algorithm switch
        {
            "sha256" => Sha256(content),
            "sha512" => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content)),
            _ => throw new OciDigestMismatchException($"Unsupported digest algorithm '{algorithm}'."),
        };
    }

    public static void Verify(string expected, ReadOnlySpan<byte> content, string what)
    {
        if (!IsDigest(expected))
        {
            throw new OciDigestMismatchException($"'{expected}' is not a valid digest ({what}).");
        }

        var actual = Compute(expected, content);
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
        {
            throw new OciDigestMismatchException($"Digest mismatch for {what}: expected {expected}, content hashes to {actual}.");
        }
    }

    /// <summary>The referrers fallback tag of a digest: <c>sha256:abc…</c> → <c>sha256-abc…</c>.</summary>
    public static string FallbackTag(string digest)
    {
        if (!IsDigest(digest))
        {
            throw new ArgumentException($"'{digest}' is not a digest.", nameof(digest));
        }

        return digest.Replace(':', '-');
    }

    [GeneratedRegex("^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})\\z")]
    private static partial Regex DigestPattern();

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\\z")]
    internal static partial Regex RepositoryName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\\z")]
    internal static partial Regex Tag();
}
