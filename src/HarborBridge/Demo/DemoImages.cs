using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Harbor.Oci;

namespace HarborBridge.Demo;

/// <summary>One of the demo's images: its repository in the demo project and the outcome the demo expects.</summary>
internal sealed record DemoImage(string Repository, string Tag, string Expected, string? ReportResource)
{
    /// <summary>clean: no findings (the simulator's clean report); high: a HIGH finding; critical: a CRITICAL one.</summary>
    public static IReadOnlyList<DemoImage> All { get; } =
    [
        new("clean", "1.0", "signed", null),
        new("high", "1.0", "warned+signed", "high.json"),
        new("critical", "1.0", "quarantined", "critical.json"),
    ];
}

/// <summary>Builds a small OCI image (one gzip layer holding <c>/demo.txt</c>) and pushes it like <c>docker push</c>:
/// blobs first, then the manifest by tag, which makes Harbor fire <c>PUSH_ARTIFACT</c>.</summary>
internal static class DemoImages
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    /// <returns>The pushed manifest's digest.</returns>
    public static async Task<string> PushAsync(IOciRegistryClient registry, OciRepository repository, DemoImage image, CancellationToken cancellationToken)
    {
        var tar = Tar($"HarborBridge demo image '{image.Repository}': expected outcome {image.Expected}.\n");
        var layer = Gzip(tar);
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { Labels = new Dictionary<string, string> { ["org.opencontainers.image.title"] = "harborbridge-demo-" + image.Repository } },
            rootfs = new { type = "layers", diff_ids = new[] { Digest(tar) } },
        });
        var layerDigest = await registry.UploadBlobAsync(repository, layer, cancellationToken);
        var configDigest = await registry.UploadBlobAsync(repository, config, cancellationToken);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = ManifestType,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest, size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = layerDigest, size = layer.Length } },
        });
        await registry.PutManifestAsync(repository, image.Tag, manifest, ManifestType, null, cancellationToken);
        return Digest(manifest);
    }

    private static byte[] Tar(string content)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "demo.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            writer.WriteEntry(entry);
        }

        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    private static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
