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
        var blobs = Blobs(directory);
        var (manifest, config, layer) = WriteImage(blobs, "amd64");
        WriteLayout(directory, "application/vnd.oci.image.manifest.v1+json", manifest);
        return new OciLayoutImage(directory, Sha256(manifest), manifest, Sha256(config), Sha256(layer));
    }

    /// <summary>A two-platform image index (amd64, arm64); <see cref="Children"/> are the platform manifests.</summary>
    public static OciLayoutImage CreateIndex(string directory)
    {
        var blobs = Blobs(directory);
        var children = new[] { "amd64", "arm64" }.Select(arch => (Arch: arch, Image: WriteImage(blobs, arch))).ToList();
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.index.v1+json",
            manifests = children.Select(c => new
            {
                mediaType = "application/vnd.oci.image.manifest.v1+json",
                digest = Sha256(c.Image.Manifest),
                size = c.Image.Manifest.Length,
                platform = new { architecture = c.Arch, os = "linux" },
            }).ToArray(),
        });
        File.WriteAllBytes(Path.Combine(blobs, Sha256(index)["sha256:".Length..]), index);
        WriteLayout(directory, "application/vnd.oci.image.index.v1+json", index);
        return new OciLayoutImage(directory, Sha256(index), index, "", "") { Children = children.Select(c => Sha256(c.Image.Manifest)).ToList() };
    }

    public IReadOnlyList<string> Children { get; private init; } = [];

    private static string Blobs(string directory)
    {
        var blobs = Path.Combine(directory, "blobs", "sha256");
        System.IO.Directory.CreateDirectory(blobs);
        return blobs;
    }

    private static (byte[] Manifest, byte[] Config, byte[] Layer) WriteImage(string blobs, string architecture)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"hello from {architecture} {Guid.NewGuid()}\n")),
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
            architecture,
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

        return (manifest, config, layer);
    }

    private static void WriteLayout(string directory, string mediaType, byte[] top)
    {
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllBytes(Path.Combine(directory, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            manifests = new[]
            {
                new
                {
                    mediaType,
                    digest = Sha256(top),
                    size = top.Length,
                    annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = "latest" },
                },
            },
        }));
    }

    /// <summary>Pushes the image with skopeo to <paramref name="destination"/> (<c>host:port/project/repo:tag</c>), as the
    /// simulator's admin: a registry that asks for a token (a simulator with RequireRegistryAuth, like Harbor) gets one.</summary>
    public async Task PushAsync(string destination, string workDir, CancellationToken cancellationToken)
    {
        var (exit, output) = await TestServices.SkopeoAsync(workDir, cancellationToken,
            "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", $"--dest-creds={SimulatorSession.User}:{SimulatorSession.Password}",
            $"oci:{Directory}:latest", $"docker://{destination}");
        Assert.True(exit == 0, $"skopeo copy to {destination} failed: {output}");
    }
}
