using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>Runs the skopeo 1.18 build that tests/run.sh unpacks (HB_TEST_SKOPEO), bounded in time.</summary>
internal sealed class SkopeoRunner
{
    public SkopeoRunner(string workDirectory)
    {
        Executable = Infrastructure.TestEnvironment.Require("HB_TEST_SKOPEO");
        WorkDirectory = workDirectory;
    }

    public string Executable { get; }

    public string WorkDirectory { get; }

    public string PathOf(string name) => Path.Combine(WorkDirectory, name);

    public Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) =>
        ToolProcess.RunAsync(Executable, arguments, WorkDirectory);

    public async Task<string> RunOkAsync(params string[] arguments)
    {
        var (code, output) = await RunAsync(arguments);
        Assert.True(code == 0, $"skopeo {string.Join(' ', arguments)} failed ({code}): {output}");
        return output;
    }

    /// <summary>An OCI image layout with one uncompressed layer holding <paramref name="content"/>, tagged v1. Returns the layout path.</summary>
    public string CreateOciLayout(string name, string content)
    {
        var root = PathOf(name);
        var blobs = Path.Combine(root, "blobs", "sha256");
        Directory.CreateDirectory(blobs);

        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                ModificationTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            };
            writer.WriteEntry(entry);
        }

        var layer = WriteBlob(blobs, tar.ToArray());
        var config = WriteBlob(blobs, Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{layer.Digest}\"]}}}}"));
        var manifest = WriteBlob(blobs, Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config.Digest}\",\"size\":{config.Size}}}," +
            $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{layer.Digest}\",\"size\":{layer.Size}}}]}}"));
        File.WriteAllText(Path.Combine(root, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        File.WriteAllText(Path.Combine(root, "index.json"),
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            $"\"digest\":\"{manifest.Digest}\",\"size\":{manifest.Size},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"v1\"}}}}]}}");
        return root;
    }

    /// <summary>A policy that accepts anything (for copies that only sign or only move bytes).</summary>
    public string OpenPolicy()
    {
        var path = PathOf("policy-open.json");
        File.WriteAllText(path, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        return path;
    }

    /// <summary>A policy demanding, for every dir: image, a sigstore signature by <paramref name="publicKeyPath"/> whose identity is in <paramref name="repository"/>.</summary>
    public string DirSigstorePolicy(string name, string publicKeyPath, string repository)
    {
        var path = PathOf(name);
        File.WriteAllText(path,
            "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"dir\":{\"\":[{\"type\":\"sigstoreSigned\"," +
            $"\"keyPath\":\"{publicKeyPath}\",\"signedIdentity\":{{\"type\":\"exactRepository\",\"dockerRepository\":\"{repository}\"}}}}]}}}}}}");
        return path;
    }

    private static (string Digest, long Size) WriteBlob(string blobs, byte[] data)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(data));
        File.WriteAllBytes(Path.Combine(blobs, hex), data);
        return ("sha256:" + hex, data.Length);
    }
}
