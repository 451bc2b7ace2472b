using System.Net.Http.Json;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;

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
    private readonly PipelineHost _host = new();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData("legacy")]
    [InlineData("bundle")]
    public async Task ScanOnPush_OnePush_OneSignatureAndOneAttestation_NothingElseDecided(string format)
    {
        await _host.StartAsync(new PipelineHostOptions
        {
            Policy = "version: 1\n",
            ScanDelay = TimeSpan.FromMilliseconds(200),
            ProjectMetadata = new Dictionary<string, string> { ["auto_scan"] = "true" },
            Sign = true,
            AdminToken = AdminToken,
            Settings = { ["HarborBridge:Signing:Format"] = format },
            Patience = Patience,
        });

        var pushedAt = TimeProvider.System.GetUtcNow();
        var image = await _host.Session.PushImageAsync("app", "v1", TestServices.Timeout(120));
        var artifact = new ArtifactRef(_host.Session.Project, "app", image.ManifestDigest);
        var store = _host.Store;
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
        var decisions = _host.Decisions;
        Assert.Single(await decisions.GetDecisionsAsync(artifact.Digest, default));
        // What HarborBridge wrote by digest (bundle referrers) is recorded from its push events, and nothing more.
        foreach (var other in (await store.ListAsync(null, _host.Session.Project, 100, 0, default)).Where(r => r.Artifact.Digest != artifact.Digest))
        {
            Assert.Equal(ArtifactStates.Received, other.State);
            Assert.Empty(await decisions.GetDecisionsAsync(other.Artifact.Digest, default));
        }
        if (format == "legacy")
        {
            // The scenario really happened: Harbor scanned the attestation and told HarborBridge, which answered "ignored".
            Assert.Contains(_host.Session.Simulator.State.Deliveries, d => d.EventType == "SCANNING_COMPLETED"
                && d.Body.Contains($"sha256-{hex}.att", StringComparison.Ordinal) && d.StatusCode == 200);
        }

        // The API (and with it the dashboard's artifact page) names the one signature HarborBridge wrote: its format, the
        // digest of the manifest that holds it as the registry has it, and when.
        using var api = _host.AdminClient();
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
        var repository = _host.Session.Repository("app");
        if (format == "legacy")
        {
            return (await _host.Session.Registry.HeadManifestAsync(repository, $"sha256-{imageDigest["sha256:".Length..]}.sig", default))!.Digest;
        }

        var found = new List<string>();
        foreach (var referrer in (await _host.Session.Registry.ListReferrersAsync(repository, imageDigest, null, default)).Manifests)
        {
            using var manifest = JsonDocument.Parse((await _host.Session.Registry.GetManifestAsync(repository, referrer.Digest, default))!.Content);
            var layer = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
            using var bundle = JsonDocument.Parse(await _host.Session.Registry.GetBlobAsync(repository, layer, default));
            // cosign v3 signs with a DSSE envelope whose statement has cosign's signature predicate; attestations have others.
            using var statement = JsonDocument.Parse(Convert.FromBase64String(bundle.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!));
            if (statement.RootElement.GetProperty("predicateType").GetString() == "https://sigstore.dev/cosign/sign/v1")
            {
                found.Add(referrer.Digest);
            }
        }

        return Assert.Single(found);
    }

    private Task<IReadOnlyList<string>> TagsAsync() => _host.Session.Registry.ListTagsAsync(_host.Session.Repository("app"), default);
}
