using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>A tiny single-layer image written as an OCI image layout, so skopeo can push it. Every image holds a
/// unique file, so every test gets its own digests. Digests are computed here from the bytes written.</summary>
internal sealed class OciLayoutImage
{
    private OciLayoutImage(string directory, string manifestDigest, byte[] manifest, string configDigest, string layerDigest)
    {
        Directory = directory;
        ManifestDigest = manifestDigest;
        Manifest = manifest;
        ConfigDigest = configDigest;
        LayerDigest = layerDigest;
    }

    public string Directory { get; }

    public string ManifestDigest { get; }

    public byte[] Manifest { get; }

    public string ConfigDigest { get; }

    public string LayerDigest { get; }

    public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static OciLayoutImage Create(string directory)
    {
        var blobs = Path.Combine(directory, "blobs", "sha256");
        System.IO.Directory.CreateDirectory(blobs);

        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"hello from {Guid.NewGuid()}\n")),
                ModificationTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            };
            writer.WriteEntry(entry);
        }

        var uncompressed = tar.ToArray();
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(uncompressed);
        }

        var layer = gz.ToArray();
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { },
            rootfs = new { type = "layers", diff_ids = new[] { Sha256(uncompressed) } },
        });
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = Sha256(config), size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = Sha256(layer), size = layer.Length } },
        });
        foreach (var blob in new[] { layer, config, manifest })
        {
            File.WriteAllBytes(Path.Combine(blobs, Sha256(blob)["sha256:".Length..]), blob);
        }

        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllBytes(Path.Combine(directory, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            manifests = new[]
            {
                new
                {
                    mediaType = "application/vnd.oci.image.manifest.v1+json",
                    digest = Sha256(manifest),
                    size = manifest.Length,
                    annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = "latest" },
                },
            },
        }));
        return new OciLayoutImage(directory, Sha256(manifest), manifest, Sha256(config), Sha256(layer));
    }

    /// <summary>Pushes the image with skopeo to <paramref name="destination"/> (<c>host:port/project/repo:tag</c>).</summary>
    public async Task PushAsync(string destination, string workDir, CancellationToken cancellationToken)
    {
        var (exit, output) = await TestServices.SkopeoAsync(workDir, cancellationToken,
            "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-no-creds", $"oci:{Directory}:latest", $"docker://{destination}");
        Assert.True(exit == 0, $"skopeo copy to {destination} failed: {output}");
    }
}
