using System.Collections.Concurrent;
using System.Net;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Quarantine;

/// <summary>Release by command (exception, rescan), Harbor's 403 (alert naming the permission) and an artifact deleted
/// in Harbor while quarantined (recorded, the release completes).</summary>
[Collection(QuarantineCollection.Name)]
public sealed class QuarantineEdgeTests(QuarantineFixture f)
{
    [Fact]
    public async Task ReleaseArtifactCommand_FromAnotherComponent_ReleasesOnceAndARepeatChangesNothing()
    {
        var ct = TestServices.Timeout(180);
        var artifact = await f.QuarantinedAsync("label", ct);
        var project = artifact.Project;
        var command = new ReleaseArtifact(Guid.NewGuid().ToString("N"), artifact, "exception:CVE-YYYY-004", "exception granted in SEC-99", "exception", DateTimeOffset.UtcNow);

        await f.PublishAsync(command, ct);
        Assert.True(await TestEnvironment.EventuallyAsync(
            async () => (await f.TransitionsAsync(artifact.Digest)).Any(t => t.ToState == ArtifactStates.Approved), QuarantineFixture.Patience), "not released");

        Assert.Empty((await f.Harbor.GetArtifactAsync(project, "label", artifact.Digest, ct))!.Labels);
        var released = Assert.Single(await f.TransitionsAsync(artifact.Digest), t => t.ToState == ArtifactStates.Released);
        Assert.Equal("exception:CVE-YYYY-004", released.Actor);
        Assert.StartsWith("exception release by exception:CVE-YYYY-004: exception granted in SEC-99", released.Cause, StringComparison.Ordinal);
        var before = (await f.TransitionsAsync(artifact.Digest)).Count;

        await f.PublishAsync(command, ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // the repeat, if it changed anything, would have done so by now

        Assert.Equal(before, (await f.TransitionsAsync(artifact.Digest)).Count);
    }

    [Fact]
    public async Task Quarantine_HarborRefusesTheLabel_AlertNamesThePermissionAndNothingIsReportedQuarantined()
    {
        var ct = TestServices.Timeout(180);
        var project = f.NewProject();
        var artifact = await f.PushScannedAsync(project, "label", "v1", ct);
        f.Session.Simulator.Faults.Deny("POST", $"/artifacts/{artifact.Digest}/labels");
        var published = new Published();
        using var observer = f.Services.GetRequiredService<IBus>().ConnectPublishObserver(published);

        await f.PublishAsync(QuarantineFixture.Blocked(artifact), ct);
        await f.WaitForTransitionAsync(artifact.Digest, "quarantine not applied");
        // The alert leaves the consumer's outbox after the transition is stored: wait for it rather than race it.
        Assert.True(await TestEnvironment.EventuallyAsync(
            () => Task.FromResult(published.Messages.OfType<OperatorAlertRaised>().Any(a => a.Artifact == artifact)), QuarantineFixture.Patience),
            "no OperatorAlertRaised for the refused label");

        var alert = Assert.Single(published.Messages.OfType<OperatorAlertRaised>(), a => a.Artifact == artifact);
        Assert.Equal("harbor-permission:artifact-label: create", alert.AlertKey);
        Assert.Contains("artifact-label: create", alert.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain(published.Messages.OfType<ArtifactQuarantined>(), q => q.Artifact == artifact);
        Assert.Empty((await f.Harbor.GetArtifactAsync(project, "label", artifact.Digest, ct))!.Labels);
    }

    [Fact]
    public async Task Release_ArtifactDeletedInHarborMeanwhile_RecordedAndCompleted()
    {
        var ct = TestServices.Timeout(180);
        var artifact = await f.QuarantinedAsync("label", ct);
        var project = artifact.Project;
        await f.Harbor.DeleteArtifactAsync(project, "label", artifact.Digest, ct);

        using var release = await f.ReleaseAsync(artifact.Digest, new { reason = "deleted anyway" });

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        var released = Assert.Single(await f.TransitionsAsync(artifact.Digest), t => t.ToState == ArtifactStates.Released);
        Assert.Contains("label: was no longer attached", released.Cause, StringComparison.Ordinal);
        Assert.DoesNotContain(await f.TransitionsAsync(artifact.Digest), t => t.ToState == ArtifactStates.Approved);
    }

    private sealed class Published : IPublishObserver
    {
        private readonly ConcurrentQueue<object> _messages = new();

        public IReadOnlyList<object> Messages => [.. _messages];

        public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context) where T : class
        {
            _messages.Enqueue(context.Message);
            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
