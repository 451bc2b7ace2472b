using System.Net;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Harbor;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Quarantine;

/// <summary>
/// Each quarantine strategy applied to a real image (simulator + docker-registry), driven by an ArtifactBlocked on real
/// RabbitMQ, and undone by the release API: Harbor's pull checks answer 412 while quarantined and let the pull through
/// after the release; project settings come back exactly as they were.
/// </summary>
[Collection(QuarantineCollection.Name)]
public sealed class QuarantineStrategyTests(QuarantineFixture f)
{
    private const string Quarantined = "quarantine applied:";

    [Fact]
    public async Task Unsign_CosignEnforced_PullGets412UntilReleasedAndSignedAgain()
    {
        var ct = TestServices.Timeout(180);
        var project = f.NewProject(new Dictionary<string, string> { ["enable_content_trust_cosign"] = "true" });
        var artifact = await f.PushScannedAsync(project, "api", "v1", ct);
        Assert.Equal(412, await f.PullStatusAsync(artifact, ct)); // unsigned: Harbor refuses it already
        await f.SignAsync(artifact, ct);
        Assert.Equal(200, await f.PullStatusAsync(artifact, ct));

        await f.PublishAsync(QuarantineFixture.Blocked(artifact), ct);
        await f.WaitForTransitionAsync(artifact.Digest, Quarantined);

        Assert.Empty(await f.Harbor.ListAccessoriesAsync(project, "api", artifact.Digest, ct));
        Assert.Equal(412, await f.PullStatusAsync(artifact, ct));
        var (exit, output) = await TestServices.SkopeoAsync(f.Session.WorkDir, ct, "inspect", "--tls-verify=false", $"--creds={SimulatorSession.User}:{SimulatorSession.Password}",
            $"docker://{f.Session.Simulator.RegistryHost}/{project}/api@{artifact.Digest}");
        Assert.NotEqual(0, exit);
        Assert.Contains("The image is not signed by cosign.", output);

        // The body's actor is a claim; the proxy's identity header says who it was.
        using var release = await f.ReleaseAsync(artifact.Digest, new { reason = "false positive, see SEC-12", actor = "mallory" }, user: "alice");

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        // Signed again by the signer (the normal signing message), which completes the release: Released → Approved.
        await f.WaitForTransitionAsync(artifact.Digest, "signed again after the release");
        Assert.Equal("signature.cosign", Assert.Single(await f.Harbor.ListAccessoriesAsync(project, "api", artifact.Digest, ct)).Type);
        Assert.Equal(200, await f.PullStatusAsync(artifact, ct));
        var transitions = await f.TransitionsAsync(artifact.Digest);
        Assert.Equal([ArtifactStates.Quarantined, ArtifactStates.Released, ArtifactStates.Approved], transitions.Select(t => t.ToState));
        var released = transitions.Single(t => t.ToState == ArtifactStates.Released);
        Assert.Equal("alice", released.Actor);
        Assert.Contains("false positive, see SEC-12", released.Cause, StringComparison.Ordinal);
        Assert.Contains("claimed by: mallory", released.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreventPull_PullGets412_ReleaseRestoresTheProjectExactly()
    {
        var ct = TestServices.Timeout(180);
        // The project judges pulls with its own list (reuse_sys_cve_allowlist "false"); a project on the system list: below.
        var project = f.NewProject(new Dictionary<string, string> { ["auto_scan"] = "false", ["reuse_sys_cve_allowlist"] = "false" });
        await f.Harbor.UpdateProjectAsync(project, new Core.Harbor.HarborProjectUpdate(null,
            new Core.Harbor.HarborCveAllowlist(0, DateTimeOffset.FromUnixTimeSeconds(4_000_000_000), ["CVE-2000-0001"])), ct);
        var before = await f.Harbor.GetProjectAsync(project, ct);
        var artifact = await f.PushScannedAsync(project, "prevent", "v1", ct);
        Assert.Equal(200, await f.PullStatusAsync(artifact, ct));

        await f.PublishAsync(QuarantineFixture.Blocked(artifact), ct);
        await f.WaitForTransitionAsync(artifact.Digest, Quarantined);

        var during = (await f.Harbor.GetProjectAsync(project, ct))!;
        Assert.Equal("true", during.Metadata["prevent_vul"]);
        Assert.Equal("critical", during.Metadata["severity"]);
        // The policy's project-wide exception is mirrored next to the list that was there; the earlier expiry wins.
        Assert.Equal(["CVE-2000-0001", QuarantineFixture.MirroredCve], during.CveAllowlist!.CveIds);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(4_000_000_000), during.CveAllowlist.ExpiresAt);
        Assert.Equal(412, await f.PullStatusAsync(artifact, ct));

        using var release = await f.ReleaseAsync(artifact.Digest, new { reason = "accepted risk until the next base image" });

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        var after = (await f.Harbor.GetProjectAsync(project, ct))!;
        Assert.Equal(before!.Metadata.OrderBy(m => m.Key), after.Metadata.OrderBy(m => m.Key));
        Assert.Equal(before.CveAllowlist!.CveIds, after.CveAllowlist!.CveIds);
        Assert.Equal(before.CveAllowlist.ExpiresAt, after.CveAllowlist.ExpiresAt);
        Assert.Equal(200, await f.PullStatusAsync(artifact, ct));
    }

    /// <summary>
    /// Harbor judges pulls with the system CVE allowlist unless the project's <c>reuse_sys_cve_allowlist</c> is "false",
    /// and a project without the key reuses it (the simulator follows project.go:125-131 and controller.go:301-323).
    /// prevent-pull must therefore switch the project to its own list, made of the system list and the policy's
    /// exceptions, and put the key back exactly on release.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("true")]
    public async Task PreventPull_ProjectOnTheSystemList_ExceptedCvePullableOthersNot_ReleaseRestoresTheKey(string? reuseBefore)
    {
        var ct = TestServices.Timeout(180);
        var state = f.Session.Simulator.State;
        lock (state.Sync)
        {
            state.SystemAllowlistCves = [SystemListedCve];
            state.SystemAllowlistExpiresAt = null;
        }

        try
        {
            var metadata = new Dictionary<string, string> { ["auto_scan"] = "false" };
            if (reuseBefore is not null)
            {
                metadata["reuse_sys_cve_allowlist"] = reuseBefore;
            }

            var project = f.NewProject(metadata);
            var before = (await f.Harbor.GetProjectAsync(project, ct))!;
            var blocked = await f.PushScannedAsync(project, "prevent-q", "v1", ct);      // 2 Critical, not excepted
            var excepted = await f.PushScannedAsync(project, "prevent-e", "v1", ct);     // its only Critical is the policy's exception
            var systemListed = await f.PushScannedAsync(project, "prevent-s", "v1", ct); // its only Critical is on the system list
            f.ReplaceReport(excepted, (QuarantineFixture.MirroredCve, "Critical"), ("CVE-2026-0100", "Low"));
            f.ReplaceReport(systemListed, (SystemListedCve, "Critical"));

            await f.PublishAsync(QuarantineFixture.Blocked(blocked), ct);
            await f.WaitForTransitionAsync(blocked.Digest, Quarantined);

            var during = (await f.Harbor.GetProjectAsync(project, ct))!;
            Assert.Equal("true", during.Metadata["prevent_vul"]);
            Assert.Equal("false", during.Metadata["reuse_sys_cve_allowlist"]);
            Assert.Equal([SystemListedCve, QuarantineFixture.MirroredCve], during.CveAllowlist!.CveIds);
            Assert.Equal(412, await f.PullStatusAsync(blocked, ct));
            Assert.Equal(200, await f.PullStatusAsync(excepted, ct));
            Assert.Equal(200, await f.PullStatusAsync(systemListed, ct)); // what the system list allowed stays allowed

            using var release = await f.ReleaseAsync(blocked.Digest, new { reason = "rebuilt on a fixed base image" });

            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
            var after = (await f.Harbor.GetProjectAsync(project, ct))!;
            Assert.Equal(before.Metadata.OrderBy(m => m.Key), after.Metadata.OrderBy(m => m.Key));
            Assert.Equal(reuseBefore, after.Metadata.GetValueOrDefault("reuse_sys_cve_allowlist"));
            Assert.Equal(before.CveAllowlist!.CveIds, after.CveAllowlist!.CveIds);
            Assert.Equal(200, await f.PullStatusAsync(blocked, ct));
        }
        finally
        {
            lock (state.Sync)
            {
                state.SystemAllowlistCves = [];
            }
        }
    }

    /// <summary>On the system CVE allowlist in <see cref="PreventPull_ProjectOnTheSystemList_ExceptedCvePullableOthersNot_ReleaseRestoresTheKey"/>.</summary>
    private const string SystemListedCve = "CVE-2019-0999";

    [Fact]
    public async Task PreventPull_TwoQuarantinedInOneProject_SettingStaysUntilTheSecondIsReleased()
    {
        var ct = TestServices.Timeout(180);
        var project = f.NewProject();
        var first = await f.PushScannedAsync(project, "prevent-a", "v1", ct);
        var second = await f.PushScannedAsync(project, "prevent-b", "v1", ct);
        await f.PublishAsync(QuarantineFixture.Blocked(first), ct);
        await f.PublishAsync(QuarantineFixture.Blocked(second), ct);
        await f.WaitForTransitionAsync(first.Digest, Quarantined);
        await f.WaitForTransitionAsync(second.Digest, Quarantined);

        using (var release = await f.ReleaseAsync(first.Digest, new { reason = "first one fixed" }))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        var between = (await f.Harbor.GetProjectAsync(project, ct))!;
        Assert.Equal("true", between.Metadata["prevent_vul"]);
        Assert.Equal(412, await f.PullStatusAsync(second, ct));

        using (var release = await f.ReleaseAsync(second.Digest, new { reason = "second one fixed" }))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        var after = (await f.Harbor.GetProjectAsync(project, ct))!;
        Assert.False(after.Metadata.ContainsKey("prevent_vul"), "prevent_vul was not set before the quarantine, so it must be gone again");
        Assert.False(after.Metadata.ContainsKey("severity"));
        Assert.Equal(200, await f.PullStatusAsync(second, ct));
    }

    [Fact]
    public async Task Label_AttachedWhileQuarantined_RemovedOnRelease()
    {
        var ct = TestServices.Timeout(180);
        var project = f.NewProject();
        var artifact = await f.PushScannedAsync(project, "label", "v1", ct);

        await f.PublishAsync(QuarantineFixture.Blocked(artifact), ct);
        await f.WaitForTransitionAsync(artifact.Digest, Quarantined);

        var labelled = (await f.Harbor.GetArtifactAsync(project, "label", artifact.Digest, ct))!;
        var label = Assert.Single(labelled.Labels);
        Assert.Equal(QuarantineFixture.LabelName, label.Name);
        Assert.Equal("g", label.Scope);

        using var release = await f.ReleaseAsync(artifact.Digest, new { reason = "rebuilt" });

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        Assert.Empty((await f.Harbor.GetArtifactAsync(project, "label", artifact.Digest, ct))!.Labels);
        Assert.Single(await f.Harbor.FindLabelsAsync(QuarantineFixture.LabelName, "g", null, ct)); // the label itself stays for the next one
    }

    [Fact]
    public async Task Move_CopiedToQuarantineProjectAndDeleted_ReleaseBringsItBackWithItsTags()
    {
        var ct = TestServices.Timeout(180);
        var project = f.NewProject();
        var artifact = await f.PushScannedAsync(project, "move", "v1", ct);

        await f.PublishAsync(QuarantineFixture.Blocked(artifact), ct);
        await f.WaitForTransitionAsync(artifact.Digest, Quarantined);

        Assert.Null(await f.Harbor.GetArtifactAsync(project, "move", artifact.Digest, ct));
        var moved = await f.Harbor.GetArtifactAsync(QuarantineFixture.QuarantineProject, $"{project}/move", artifact.Digest, ct);
        Assert.NotNull(moved);
        Assert.Equal(["v1"], moved.Tags);
        Assert.Equal(404, await f.PullStatusAsync(artifact, ct));

        using var release = await f.ReleaseAsync(artifact.Digest, new { reason = "vendor confirmed not affected" });

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        var back = await f.Harbor.GetArtifactAsync(project, "move", artifact.Digest, ct);
        Assert.NotNull(back);
        Assert.Equal(["v1"], back.Tags);
        Assert.Null(await f.Harbor.GetArtifactAsync(QuarantineFixture.QuarantineProject, $"{project}/move", artifact.Digest, ct));
        Assert.Equal(200, await f.PullStatusAsync(artifact, ct));
    }

    [Fact]
    public async Task Move_QuarantineProjectMissing_CreatedPrivateWithPreventVulAndReusedByTheNext()
    {
        var ct = TestServices.Timeout(180);
        const string jail = QuarantineFixture.CreatedQuarantineProject;
        Assert.Null(await f.Harbor.GetProjectAsync(jail, ct));
        var first = await f.PushScannedAsync(f.NewProject(), "move-new", "v1", ct);

        await f.PublishAsync(QuarantineFixture.Blocked(first), ct);
        await f.WaitForTransitionAsync(first.Digest, Quarantined);

        var created = await f.Harbor.GetProjectAsync(jail, ct);
        Assert.NotNull(created);
        Assert.Equal("false", created.Metadata["public"]);
        Assert.Equal("true", created.Metadata["prevent_vul"]);
        Assert.Equal("none", created.Metadata["severity"]);
        var firstMoved = new ArtifactRef(jail, $"{first.Project}/move-new", first.Digest);
        Assert.Equal(["v1"], (await f.Harbor.GetArtifactAsync(firstMoved.Project, firstMoved.Repository, first.Digest, ct))!.Tags);
        Assert.Null(await f.Harbor.GetArtifactAsync(first.Project, "move-new", first.Digest, ct));
        Assert.Equal(412, await f.PullStatusAsync(firstMoved, ct)); // prevent_vul with threshold none: nothing in there can be pulled

        var second = await f.PushScannedAsync(f.NewProject(), "move-new", "v2", ct);
        await f.PublishAsync(QuarantineFixture.Blocked(second), ct);
        await f.WaitForTransitionAsync(second.Digest, Quarantined);

        Assert.Equal(created.ProjectId, (await f.Harbor.GetProjectAsync(jail, ct))!.ProjectId);
        Assert.Equal(["v2"], (await f.Harbor.GetArtifactAsync(jail, $"{second.Project}/move-new", second.Digest, ct))!.Tags);
        Assert.Contains($"created the quarantine project {jail}", (await f.TransitionsAsync(first.Digest)).Single(t => t.Cause.StartsWith(Quarantined, StringComparison.Ordinal)).Cause, StringComparison.Ordinal);
        Assert.DoesNotContain("created the quarantine project", (await f.TransitionsAsync(second.Digest)).Single(t => t.Cause.StartsWith(Quarantined, StringComparison.Ordinal)).Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArtifactBlocked_DeliveredTwice_SecondChangesNothing()
    {
        var ct = TestServices.Timeout(180);
        var project = f.NewProject(new Dictionary<string, string> { ["enable_content_trust_cosign"] = "true" });
        var artifact = await f.PushScannedAsync(project, "all", "v1", ct);
        await f.SignAsync(artifact, ct);
        var blocked = QuarantineFixture.Blocked(artifact);
        var consumed = new ConsumedCounter<ArtifactBlocked>(m => m.DecisionId == blocked.DecisionId);
        using var observer = f.Services.GetRequiredService<IBus>().ConnectConsumeObserver(consumed);
        var announced = new ConsumedCounter<ArtifactQuarantined>(m => m.DecisionId == blocked.DecisionId);
        using var announcements = f.Services.GetRequiredService<IBus>().ConnectConsumeObserver(announced);

        await f.PublishAsync(blocked, ct);
        await f.WaitForTransitionAsync(artifact.Digest, Quarantined);
        var first = await SnapshotAsync(artifact, ct);
        await f.PublishAsync(blocked, ct);
        Assert.True(await Infrastructure.TestEnvironment.EventuallyAsync(() => Task.FromResult(consumed.Count >= 2), QuarantineFixture.Patience),
            "the second delivery was not consumed");
        var second = await SnapshotAsync(artifact, ct);

        Assert.Equal(first, second);
        Assert.Single(await f.TransitionsAsync(artifact.Digest), t => t.Cause.StartsWith(Quarantined, StringComparison.Ordinal));
        // Announced again: had the first ArtifactQuarantined been lost (broker gone right after the steps were saved),
        // this would be the only one. Notifications are claimed per decision, so nobody hears of it twice.
        Assert.True(await Infrastructure.TestEnvironment.EventuallyAsync(() => Task.FromResult(announced.Count >= 2), QuarantineFixture.Patience),
            $"ArtifactQuarantined was announced {announced.Count} time(s) for two deliveries of the decision");
    }

    /// <summary>Everything quarantine can change, as one comparable string.</summary>
    private async Task<string> SnapshotAsync(ArtifactRef a, CancellationToken ct)
    {
        var project = (await f.Harbor.GetProjectAsync(a.Project, ct))!;
        var artifact = (await f.Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, ct))!;
        var labels = await f.Harbor.FindLabelsAsync(QuarantineFixture.LabelName, "g", null, ct);
        var transitions = await f.TransitionsAsync(a.Digest);
        return JsonSerializer.Serialize(new
        {
            metadata = project.Metadata.OrderBy(m => m.Key).ToList(),
            allowlist = project.CveAllowlist,
            labels = artifact.Labels.Select(l => l.Id).Order().ToList(),
            accessories = artifact.Accessories.Select(x => x.Digest).Order().ToList(),
            tags = artifact.Tags,
            globalLabels = labels.Count,
            transitions = transitions.Select(t => t.TransitionId).ToList(),
        });
    }

    private sealed class ConsumedCounter<TMessage>(Func<TMessage, bool> match) : IConsumeObserver
        where TMessage : class
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.Message is TMessage m && match(m))
            {
                Interlocked.Increment(ref _count);
            }

            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class QuarantineCollection : ICollectionFixture<QuarantineFixture>
{
    public const string Name = "quarantine";
}
