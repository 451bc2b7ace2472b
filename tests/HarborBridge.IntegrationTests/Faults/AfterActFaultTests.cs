using System.Net;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Quarantine;
using HarborBridge.Signing.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Faults;

/// <summary>
/// Faults that land after Harbor acted (tests.md weak spot 4): a proxy in front of Harbor answers 502/503, or drops the
/// connection, after the backend accepted the scan, attached the label or stored the manifest. HarborBridge's retries
/// must be harmless: no second scan, no second signature layer, and a label it attached is still known as its own.
/// Real RabbitMQ, PostgreSQL and docker-registry; the simulator carries each request out, then replaces its answer.
/// </summary>
[Collection(QuarantineCollection.Name)]
public sealed class AfterActFaultTests(QuarantineFixture f)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task LabelAttachedThen502_StillHarborBridgesLabel_ReleaseRemovesIt()
    {
        var ct = TestServices.Timeout(180);
        var artifact = await f.PushScannedAsync(f.NewProject(), "label", "v1", ct);
        f.Session.Simulator.Faults.FailAfterActing("POST", $"{artifact.Digest}/labels", 502);

        await f.PublishAsync(QuarantineFixture.Blocked(artifact), ct);
        await f.WaitForTransitionAsync(artifact.Digest, "quarantine applied:");

        Assert.Single(f.Session.Simulator.Faults.AfterActHits, h => h.Contains($"{artifact.Digest}/labels -> 502", StringComparison.Ordinal));
        Assert.Equal(QuarantineFixture.LabelName, Assert.Single((await f.Harbor.GetArtifactAsync(artifact.Project, "label", artifact.Digest, ct))!.Labels).Name);
        var applied = (await f.TransitionsAsync(artifact.Digest)).Single(t => t.Cause.StartsWith("quarantine applied:", StringComparison.Ordinal));
        Assert.DoesNotContain("was attached already", applied.Cause, StringComparison.Ordinal);

        using var release = await f.ReleaseAsync(artifact.Digest, new { reason = "rebuilt" });

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        Assert.Empty((await f.Harbor.GetArtifactAsync(artifact.Project, "label", artifact.Digest, ct))!.Labels);
    }

    [Fact]
    public async Task ScanAcceptedThen503_AndSignatureStoredThenConnectionReset_OneScanOneDecisionOneLayer()
    {
        var ct = TestServices.Timeout(240);
        var directory = Path.Combine(Path.GetTempPath(), "hb-afteract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var policyFile = Path.Combine(directory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n", ct);
        var keyFile = Path.Combine(directory, "service.key");
        using (var key = SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes("key-pw")), ct);
        }

        HarborBridgeFactory? factory = null;
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            RequireRegistryAuth = true,
            WebhookHandler = () => factory!.Server.CreateHandler(),
        });
        await using var database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(database, session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        settings["HarborBridge:Signing:KeyFile"] = keyFile;
        settings["HarborBridge:Signing:KeyPassword"] = "key-pw";
        settings["HarborBridge:Signing:Attest"] = "false";
        await using (factory = new HarborBridgeFactory(settings))
        {
            using var client = factory.CreateClient();
            Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
            session.Simulator.State.AddWebhookPolicy(session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
                "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
            var faults = session.Simulator.Faults;
            var image = OciLayoutImage.Create(Path.Combine(session.WorkDir, "image"));
            faults.FailAfterActing("POST", $"{image.ManifestDigest}/scan", 503);
            faults.FailAfterActing("PUT", image.ManifestDigest.Replace(':', '-') + ".sig", status: 0);

            await image.PushAsync($"{session.Simulator.RegistryHost}/{session.Project}/api:v1", session.WorkDir, ct);

            Assert.True(await TestEnvironment.EventuallyAsync(async () =>
                (await factory.Store.FindByDigestAsync(image.ManifestDigest, default)).SingleOrDefault()?.State == ArtifactStates.Approved, Patience),
                "the image was not approved");
            Assert.True(await TestEnvironment.EventuallyAsync(async () => (await SignatureLayersWhileWrittenAsync(session, image.ManifestDigest, ct)) > 0, Patience),
                "the image was not signed");
            await Task.Delay(TimeSpan.FromSeconds(22), ct); // past MassTransit's whole retry schedule: a repeat would have landed

            Assert.Equal(2, faults.AfterActHits.Count); // both faults landed: the scan was accepted, the signature stored
            Assert.Equal(1, session.Simulator.State.ScansStarted(image.ManifestDigest));
            Assert.Single(await factory.Services.GetRequiredService<IDecisionStore>().GetDecisionsAsync(image.ManifestDigest, default));
            Assert.Equal(1, await SignatureLayersAsync(session, image.ManifestDigest, ct));
            Assert.Single(await session.Harbor.ListAccessoriesAsync(session.Project, "api", image.ManifestDigest, ct), a => a.Type == "signature.cosign");
        }

        Directory.Delete(directory, recursive: true);
    }

    /// <summary>As <see cref="SignatureLayersAsync"/>, while the signer may still be writing the tag: docker-registry's
    /// filesystem driver answers 500 ("invalid checksum digest format") to a read that meets a tag link being rewritten.</summary>
    private static async Task<int> SignatureLayersWhileWrittenAsync(SimulatorSession session, string digest, CancellationToken ct)
    {
        try
        {
            return await SignatureLayersAsync(session, digest, ct);
        }
        catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.InternalServerError)
        {
            return 0;
        }
    }

    /// <summary>Layers of the <c>.sig</c> manifest, read from docker-registry itself (not through the simulator).</summary>
    private static async Task<int> SignatureLayersAsync(SimulatorSession session, string digest, CancellationToken ct)
    {
        using var http = new HttpClient();
        return await LoadDriver.PipelineAudit.SignatureLayersAsync(http, TestServices.Registry, session.Project, "api", digest, ct);
    }
}
