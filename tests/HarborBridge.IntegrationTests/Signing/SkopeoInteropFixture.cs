using System.Security.Cryptography;
using HarborBridge.Signing.Keys;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// Shared set-up for the skopeo interop tests: a work folder, a key pair skopeo generated, a key pair we generated,
/// and two different OCI images (A and B) copied unsigned into dir: layouts.
/// </summary>
public sealed class SkopeoInteropFixture : IAsyncLifetime
{
    public const string Repository = "registry.example.test/team/app";
    public const string SkopeoPassphrase = "skopeo passphrase";

    internal SkopeoRunner Skopeo { get; private set; } = null!;

    public string WorkDirectory { get; private set; } = null!;

    public string SkopeoPrivateKey => Skopeo.PathOf("skopeo-key.private");

    public string SkopeoPublicKey => Skopeo.PathOf("skopeo-key.pub");

    public string SkopeoPassphraseFile => Skopeo.PathOf("skopeo-passphrase");

    public ECDsa OurKey { get; } = SigningKeyFiles.Generate();

    public string OurPublicKey => Skopeo.PathOf("our.pub");

    public string OtherPublicKey => Skopeo.PathOf("other.pub");

    public string OciA { get; private set; } = null!;

    public string OciB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var parent = Environment.GetEnvironmentVariable("HB_TEST_WORK") is { Length: > 0 } work ? work : Path.GetTempPath();
        WorkDirectory = Path.Combine(parent, "signing-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(WorkDirectory);
        Skopeo = new SkopeoRunner(WorkDirectory);

        await File.WriteAllTextAsync(SkopeoPassphraseFile, SkopeoPassphrase);
        await Skopeo.RunOkAsync("generate-sigstore-key", "--output-prefix", Skopeo.PathOf("skopeo-key"), "--passphrase-file", SkopeoPassphraseFile);

        await File.WriteAllTextAsync(OurPublicKey, SigningKeyFiles.WritePublicKey(OurKey));
        using var other = SigningKeyFiles.Generate();
        await File.WriteAllTextAsync(OtherPublicKey, SigningKeyFiles.WritePublicKey(other));

        var unique = Guid.NewGuid().ToString("N");
        OciA = Skopeo.CreateOciLayout("oci-a", "image A " + unique);
        OciB = Skopeo.CreateOciLayout("oci-b", "image B " + unique);
    }

    public Task DisposeAsync()
    {
        OurKey.Dispose();
        if (WorkDirectory is not null && Directory.Exists(WorkDirectory))
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Copies an OCI layout into a new unsigned dir: layout and returns its path.</summary>
    internal async Task<string> UnsignedDirAsync(string oci, string name)
    {
        var target = Skopeo.PathOf(name + "-" + Guid.NewGuid().ToString("N"));
        await Skopeo.RunOkAsync("--policy", Skopeo.OpenPolicy(), "copy", $"oci:{oci}:v1", $"dir:{target}");
        return target;
    }

    /// <summary>Has skopeo copy an OCI layout into a new dir: layout, signing it with a sigstore private key.</summary>
    internal async Task<string> SkopeoSignedDirAsync(string oci, string name, string privateKey, string passphraseFile, string identity)
    {
        var target = Skopeo.PathOf(name + "-" + Guid.NewGuid().ToString("N"));
        await Skopeo.RunOkAsync("--policy", Skopeo.OpenPolicy(), "copy",
            "--sign-by-sigstore-private-key", privateKey, "--sign-passphrase-file", passphraseFile,
            "--sign-identity", identity, $"oci:{oci}:v1", $"dir:{target}");
        return target;
    }

    /// <summary>skopeo copies a dir: layout under a policy; returns its exit code and output (non-zero = rejected).</summary>
    internal Task<(int ExitCode, string Output)> SkopeoVerifyDirAsync(string dir, string policy) =>
        Skopeo.RunAsync("--policy", policy, "copy", $"dir:{dir}", $"dir:{Skopeo.PathOf("verified-" + Guid.NewGuid().ToString("N"))}");
}
