using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.Signing.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>
/// Issue 23: with scan-on-push on, Harbor scans the `.att` HarborBridge just wrote (Harbor makes only `.sig` tags cosign
/// accessories, src/server/middleware/cosign/cosign.go:43). HarborBridge used to decide that scan, sign the attestation, write
/// a new `.att`, and so on (92 signatures in 10 s). One push must end with one signature and one attestation, after the
/// whole retry schedule, and nothing but the pushed image decided.
/// </summary>
public sealed class SelfSigningLoopTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const string AdminToken = "self-signing-loop-admin-token-0123456789";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hb-loop-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase? _database;
    private SimulatorSession? _session;
    private HarborBridgeFactory? _factory;

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_session is not null)
        {
            await _session.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("legacy")]
    [InlineData("bundle")]
    public async Task ScanOnPush_OnePush_OneSignatureAndOneAttestation_NothingElseDecided(string format)
    {
        Directory.CreateDirectory(_dir);
        var policyFile = Path.Combine(_dir, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\n");
        var keyFile = Path.Combine(_dir, "service.key");
        using (var key = SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes("key-pw")));
        }

        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            ScanDelay = TimeSpan.FromMilliseconds(200),
            WebhookHandler = () => _factory!.Server.CreateHandler(),
        }, new Dictionary<string, string> { ["auto_scan"] = "true" });
        _session.Simulator.State.AddWebhookPolicy(_session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        settings["HarborBridge:Signing:KeyFile"] = keyFile;
        settings["HarborBridge:Signing:KeyPassword"] = "key-pw";
        settings["HarborBridge:Signing:Format"] = format;
        settings["HarborBridge:Admin:Token"] = AdminToken;
        _factory = new HarborBridgeFactory(settings);
        using (var client = _factory.CreateClient())
        {
            Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
        }

        var pushedAt = TimeProvider.System.GetUtcNow();
        var image = await _session.PushImageAsync("app", "v1", TestServices.Timeout(120));
        var artifact = new ArtifactRef(_session.Project, "app", image.ManifestDigest);
        var store = _factory.Services.GetRequiredService<IArtifactStore>();
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await store.FindByDigestAsync(artifact.Digest, default)).SingleOrDefault()?.State == ArtifactStates.Approved, Patience), "not approved");
        var hex = image.ManifestDigest["sha256:".Length..];
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await TagsAsync()).Count(t => t.Contains(hex, StringComparison.Ordinal)) > 0, Patience),
            "nothing was written for the signature");
        await Task.Delay(TimeSpan.FromSeconds(22)); // the whole message retry schedule (0.2 + 1 + 5 + 15 s), and Harbor's scans of what was written

        var tags = await TagsAsync();
        if (format == "legacy")
        {
            Assert.Equal([$"sha256-{hex}.att", $"sha256-{hex}.sig", "v1"], tags.Order(StringComparer.Ordinal));
        }
        else
        {
            // Bundles are referrers: without the registry's referrers API they are listed under the fallback tag only.
            Assert.Equal([$"sha256-{hex}", "v1"], tags.Order(StringComparer.Ordinal));
        }

        // Only the pushed image was ever decided; the scans of what HarborBridge wrote were recorded and ignored.
        var decisions = _factory.Services.GetRequiredService<IDecisionStore>();
        Assert.Single(await decisions.GetDecisionsAsync(artifact.Digest, default));
        // What HarborBridge wrote by digest (bundle referrers) is recorded from its push events, and nothing more.
        foreach (var other in (await store.ListAsync(null, _session.Project, 100, 0, default)).Where(r => r.Artifact.Digest != artifact.Digest))
        {
            Assert.Equal(ArtifactStates.Received, other.State);
            Assert.Empty(await decisions.GetDecisionsAsync(other.Artifact.Digest, default));
        }
        if (format == "legacy")
        {
            // The scenario really happened: Harbor scanned the attestation and told HarborBridge, which answered "ignored".
            Assert.Contains(_session.Simulator.State.Deliveries, d => d.EventType == "SCANNING_COMPLETED"
                && d.Body.Contains($"sha256-{hex}.att", StringComparison.Ordinal) && d.StatusCode == 200);
        }

        // The API (and with it the dashboard's artifact page) names the one signature HarborBridge wrote: its format, the
        // digest of the manifest that holds it as the registry has it, and when.
        using var api = _factory.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        var detail = await api.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts/{artifact.Digest}");
        var signature = Assert.Single(detail.GetProperty("signatures").EnumerateArray());
        Assert.Equal(format, signature.GetProperty("format").GetString());
        Assert.Equal(await SignatureManifestInRegistryAsync(format, image.ManifestDigest), signature.GetProperty("digest").GetString());
        Assert.InRange(signature.GetProperty("signedAt").GetDateTimeOffset(), pushedAt, TimeProvider.System.GetUtcNow());
    }

    /// <summary>Read from the registry: the <c>.sig</c> manifest, or the bundle referrer that holds the signature statement
    /// (the others hold the attestations).</summary>
    private async Task<string> SignatureManifestInRegistryAsync(string format, string imageDigest)
    {
        var repository = _session!.Repository("app");
        if (format == "legacy")
        {
            return (await _session.Registry.HeadManifestAsync(repository, $"sha256-{imageDigest["sha256:".Length..]}.sig", default))!.Digest;
        }

        var found = new List<string>();
        foreach (var referrer in (await _session.Registry.ListReferrersAsync(repository, imageDigest, null, default)).Manifests)
        {
            using var manifest = JsonDocument.Parse((await _session.Registry.GetManifestAsync(repository, referrer.Digest, default))!.Content);
            var layer = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
            using var bundle = JsonDocument.Parse(await _session.Registry.GetBlobAsync(repository, layer, default));
            // cosign v3 signs with a DSSE envelope whose statement has cosign's signature predicate; attestations have others.
            using var statement = JsonDocument.Parse(Convert.FromBase64String(bundle.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!));
            if (statement.RootElement.GetProperty("predicateType").GetString() == "https://sigstore.dev/cosign/sign/v1")
            {
                found.Add(referrer.Digest);
            }
        }

        return Assert.Single(found);
    }

    private Task<IReadOnlyList<string>> TagsAsync() => _session!.Registry.ListTagsAsync(_session.Repository("app"), default);
}
