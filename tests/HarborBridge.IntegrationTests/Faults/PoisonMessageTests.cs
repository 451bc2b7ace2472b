using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.LoadDriver;

namespace HarborBridge.IntegrationTests.Faults;

/// <summary>A message that cannot be handled however often it is retried ends in its error queue with one operator
/// alert, and once the cause is fixed the documented replay (move it back to its queue) finishes the work once.</summary>
[Collection(FaultCollection.Name)]
public sealed class PoisonMessageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ApprovedArtifact_RegistryGoneBeyondRetries_ErrorQueueAlertThenReplaySignsOnce()
    {
        await using var registry = await PrivateRegistry.StartNewAsync();
        var node = RabbitMqNode.Shared();
        var vhost = await node.CreateVirtualHostAsync();
        var host = TestEnvironment.Require("HB_TEST_RABBITMQ_HOST");
        await using var rig = await PipelineRig.StartAsync(
            new RigServices(host, node.Port, vhost, TestEnvironment.Require("HB_TEST_POSTGRES"), registry.Address, TestEnvironment.Require("HB_TEST_WORK")),
            TimeSpan.Zero, TestServices.Timeout(120));
        await rig.StartServeAsync("webhook,worker,scheduler", TestServices.Timeout(120));
        var queues = new ErrorQueues(host, node.Port, vhost);
        // Straight to the registry: HarborBridge hears of it only through the approval below.
        var artifact = await rig.PushAsync(ArtifactKind.Clean, TestServices.Timeout(60), viaHarbor: false);

        await registry.StopAsync();
        await queues.PublishAsync("ArtifactApproved", new
        {
            decisionId = "poison-" + Guid.NewGuid().ToString("N"),
            artifact = new { project = artifact.Project, repository = artifact.Repository, digest = artifact.Digest },
            tag = artifact.Tag,
            policyVersion = "sha256:test",
            reportDigest = "sha256:" + new string('d', 64), // a real digest: the decision attestation names it
            decidedAt = DateTimeOffset.UnixEpoch,
        }, TestServices.Timeout(30));

        var events = rig.Watcher.For(artifact.Digest);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => events.Count(PipelineWatcher.Alert) > 0
            && await queues.CountAsync("sign-approved-artifact_error", default) == 1, Patience), "no alert, or the message is not in sign-approved-artifact_error");
        Assert.Equal(0, events.Count(PipelineWatcher.Signed));

        await registry.StartAsync();
        Assert.Equal(1, await queues.ReplayAsync("sign-approved-artifact", TestServices.Timeout(30)));

        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(events.Count(PipelineWatcher.Signed) > 0), Patience), "the replayed message did not sign");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var outcome = Assert.Single(await rig.Audit.OutcomesAsync([artifact], TestServices.Timeout(30)));
        Assert.Equal(1, outcome.SignatureLayers);
        Assert.Equal(1, events.Count(PipelineWatcher.Alert));
        Assert.Equal(0u, await queues.CountAsync("sign-approved-artifact_error", default));
    }
}
