using System.Security.Cryptography;
using HarborBridge.Contracts;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>Counts HTTP requests that reach the registry (each attempt is one round trip).</summary>
internal sealed class RoundTripCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    public void Increment() => Interlocked.Increment(ref _count);
}

internal sealed class CountingHandler(RoundTripCounter counter) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        counter.Increment();
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// The real docker-registry (HB_TEST_REGISTRY, plain HTTP), HarborBridge's OCI client pointed at it (with a round-trip
/// counter), skopeo 1.18 (HB_TEST_SKOPEO) with a registries.d that reads and writes sigstore attachments, and keys:
/// ours (encrypted file + public key), another key, and one skopeo generated.
/// </summary>
public sealed class RegistrySigningFixture : IAsyncLifetime
{
    public const string KeyPassword = "our key password";
    public const string SkopeoPassphrase = "skopeo passphrase";

    private ServiceProvider _services = null!;

    internal RoundTripCounter RoundTrips { get; } = new();

    internal SkopeoRunner Skopeo { get; private set; } = null!;

    public string Registry { get; private set; } = null!;

    public string WorkDirectory { get; private set; } = null!;

    public IOciRegistryClient Client => _services.GetRequiredService<IOciRegistryClient>();

    public ECDsa OurKey { get; } = SigningKeyFiles.Generate();

    public ECDsa SecondKey { get; } = SigningKeyFiles.Generate();

    public string OurPrivateKey => Skopeo.PathOf("our.key");

    public string OurPublicKey => Skopeo.PathOf("our.pub");

    public string SecondPublicKey => Skopeo.PathOf("second.pub");

    public string OtherPublicKey => Skopeo.PathOf("other.pub");

    public string SkopeoPrivateKey => Skopeo.PathOf("skopeo-key.private");

    public string SkopeoPublicKey => Skopeo.PathOf("skopeo-key.pub");

    public string SkopeoPassphraseFile => Skopeo.PathOf("skopeo-passphrase");

    public string RegistriesD => Skopeo.PathOf("registries.d");

    public async Task InitializeAsync()
    {
        Registry = TestServices.Registry;
        var parent = Environment.GetEnvironmentVariable("HB_TEST_WORK") is { Length: > 0 } work ? work : Path.GetTempPath();
        WorkDirectory = Path.Combine(parent, "registry-signing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(WorkDirectory);
        Skopeo = new SkopeoRunner(WorkDirectory);

        await File.WriteAllTextAsync(OurPrivateKey, SigningKeyFiles.WriteEncryptedPrivateKey(OurKey, System.Text.Encoding.UTF8.GetBytes(KeyPassword)));
        await File.WriteAllTextAsync(OurPublicKey, SigningKeyFiles.WritePublicKey(OurKey));
        await File.WriteAllTextAsync(SecondPublicKey, SigningKeyFiles.WritePublicKey(SecondKey));
        using (var other = SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(OtherPublicKey, SigningKeyFiles.WritePublicKey(other));
        }

        await File.WriteAllTextAsync(SkopeoPassphraseFile, SkopeoPassphrase);
        await Skopeo.RunOkAsync("generate-sigstore-key", "--output-prefix", Skopeo.PathOf("skopeo-key"), "--passphrase-file", SkopeoPassphraseFile);

        Directory.CreateDirectory(RegistriesD);
        await File.WriteAllTextAsync(Path.Combine(RegistriesD, "test.yaml"), $"docker:\n  {Registry}:\n    use-sigstore-attachments: true\n");

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = $"http://{Registry}/",
            ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.050",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddHarborClients(configuration);
        services.AddHttpClient("oci-registry").AddHttpMessageHandler(() => new CountingHandler(RoundTrips));
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        OurKey.Dispose();
        SecondKey.Dispose();
        await _services.DisposeAsync();
        if (Directory.Exists(WorkDirectory))
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }

    internal OciRepository Repository(string name) => new(new Uri($"http://{Registry}/"), name);

    /// <summary>A fresh repository name, so no test sees another's signatures.</summary>
    internal static string NewRepositoryName(string prefix) => $"sign-it/{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>Pushes a new unique unsigned image and returns its manifest digest.</summary>
    internal async Task<string> PushImageAsync(string repositoryName, string tag)
    {
        var image = OciLayoutImage.Create(Path.Combine(WorkDirectory, Guid.NewGuid().ToString("N")));
        await image.PushAsync($"{Registry}/{repositoryName}:{tag}", WorkDirectory, TestServices.Timeout());
        return image.ManifestDigest;
    }

    /// <summary>A new unique unsigned image in a fresh repository, also as the artifact HarborBridge's signer sees
    /// (project = the first path component).</summary>
    internal async Task<(string Name, string Digest, ArtifactRef Artifact)> NewImageAsync(string prefix)
    {
        var name = NewRepositoryName(prefix);
        var digest = await PushImageAsync(name, "v1");
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return (name, digest, new ArtifactRef(name[..slash], name[(slash + 1)..], digest));
    }

    /// <summary>The cosign tag of a digest: <c>sha256-&lt;hex&gt;</c> plus <paramref name="suffix"/> (<c>.sig</c>, <c>.att</c>, or
    /// nothing for the referrers fallback index).</summary>
    internal static string Tag(string digest, string suffix) => "sha256-" + digest["sha256:".Length..] + suffix;

    /// <summary>Signing options for the service's signer with our key (written to a fresh key file).</summary>
    internal (IOptions<SigningOptions> Signing, IOptions<HarborOptions> Harbor) ServiceOptions(SignatureFormat format, bool attest)
    {
        var keyFile = Path.Combine(WorkDirectory, $"service-{Guid.NewGuid():N}.key");
        File.WriteAllText(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(OurKey, System.Text.Encoding.UTF8.GetBytes("pw")));
        return (Options.Create(new SigningOptions { KeyFile = keyFile, KeyPassword = "pw", Format = format, Attest = attest }),
            Options.Create(new HarborOptions { Url = $"http://{Registry}/" }));
    }

    /// <summary>skopeo copies a new unique image into the registry, signing it with its own key under <paramref name="identity"/>.</summary>
    internal async Task<string> PushSkopeoSignedAsync(string repositoryName, string tag, string identity)
    {
        var image = OciLayoutImage.Create(Path.Combine(WorkDirectory, Guid.NewGuid().ToString("N")));
        await Skopeo.RunOkAsync("--policy", Skopeo.OpenPolicy(), "--registries.d", RegistriesD, "copy", "--preserve-digests",
            "--dest-tls-verify=false", "--dest-no-creds",
            "--sign-by-sigstore-private-key", SkopeoPrivateKey, "--sign-passphrase-file", SkopeoPassphraseFile, "--sign-identity", identity,
            $"oci:{image.Directory}:latest", $"docker://{Registry}/{repositoryName}:{tag}");
        return image.ManifestDigest;
    }

    /// <summary>skopeo signs an image already in the registry with its own key: it copies <paramref name="digest"/> onto
    /// itself under <paramref name="tag"/>, and containers/image appends its signature to the existing <c>.sig</c> manifest.</summary>
    internal async Task SkopeoSignExistingAsync(string repositoryName, string digest, string tag) =>
        await Skopeo.RunOkAsync("--policy", Skopeo.OpenPolicy(), "--registries.d", RegistriesD, "copy", "--preserve-digests",
            "--src-tls-verify=false", "--src-no-creds", "--dest-tls-verify=false", "--dest-no-creds",
            "--sign-by-sigstore-private-key", SkopeoPrivateKey, "--sign-passphrase-file", SkopeoPassphraseFile,
            $"docker://{Registry}/{repositoryName}@{digest}", $"docker://{Registry}/{repositoryName}:{tag}");

    /// <summary>skopeo copies the image out of the registry under a sigstoreSigned policy (matchRepository) with
    /// <paramref name="publicKey"/>; exit code 0 means it accepted the signatures.</summary>
    internal async Task<(int ExitCode, string Output)> SkopeoVerifyAsync(string repositoryName, string digest, string publicKey)
    {
        var policy = Skopeo.PathOf("policy-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(policy,
            "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"" + Registry + "\":[{\"type\":\"sigstoreSigned\"," +
            $"\"keyPath\":\"{publicKey}\",\"signedIdentity\":{{\"type\":\"matchRepository\"}}}}]}}}}}}");
        return await Skopeo.RunAsync("--policy", policy, "--registries.d", RegistriesD, "copy", "--src-tls-verify=false", "--src-no-creds",
            $"docker://{Registry}/{repositoryName}@{digest}", $"dir:{Skopeo.PathOf("out-" + Guid.NewGuid().ToString("N"))}");
    }

    /// <summary>Writes a .sig manifest by hand (for tamper cases): one layer with <paramref name="payload"/> and
    /// <paramref name="signatureBase64"/>, at the signature tag of <paramref name="imageDigest"/>.</summary>
    internal async Task PutSignatureAsync(string repositoryName, string imageDigest, byte[] payload, string signatureBase64)
    {
        var repository = Repository(repositoryName);
        using var anyKey = SigningKeyFiles.Generate();
        var update = SignatureManifests.AppendSignature(null, payload, signatureBase64, anyKey);
        await Client.PushBlobAsync(repository, payload, null, TestServices.Timeout());
        await Client.PushBlobAsync(repository, update.Config, null, TestServices.Timeout());
        await Client.PutManifestAsync(repository, ImageDigest.SignatureTag(imageDigest), update.Manifest, CosignMediaTypes.OciManifest, null, TestServices.Timeout());
    }

    /// <summary>Copies the .sig manifest of one image to the signature tag of another (same repository, blobs shared).</summary>
    internal async Task MoveSignatureAsync(string repositoryName, string fromDigest, string toDigest)
    {
        var repository = Repository(repositoryName);
        var manifest = await Client.GetManifestAsync(repository, ImageDigest.SignatureTag(fromDigest), TestServices.Timeout());
        Assert.NotNull(manifest);
        await Client.PutManifestAsync(repository, ImageDigest.SignatureTag(toDigest), manifest.Content, CosignMediaTypes.OciManifest, null, TestServices.Timeout());
    }
}
