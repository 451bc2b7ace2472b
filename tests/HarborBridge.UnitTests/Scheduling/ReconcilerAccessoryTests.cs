using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Scheduling;
using HarborBridge.Harbor;
using HarborBridge.Scheduling;
using HarborBridge.Webhooks;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace HarborBridge.UnitTests.Scheduling;

/// <summary>Reconciliation announces artifacts Harbor has and HarborBridge never heard of, but not the attestation
/// and SBOM manifests Harbor lists as artifacts (tags <c>sha256-&lt;hex&gt;.att</c>/<c>.sbom</c>): the webhook endpoint
/// ignores their pushes, and deciding them would sign and announce HarborBridge's own output. Found by the fault tests:
/// a reconcile run during the registry-outage test announced every warned image's decision attestation as a new warned image.</summary>
public sealed class ReconcilerAccessoryTests
{
    private static HarborArtifact Artifact(string digest, params string[] tags) =>
        new(1, digest, "IMAGE", null, null, 10, DateTimeOffset.UnixEpoch, tags, [], [], [], true);

    // A Sigstore bundle pushed by digest as a referrer: untagged, known to Harbor by its media type.
    private static HarborArtifact Bundle(string digest) =>
        new(1, digest, "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.manifest.v1+json", 10, DateTimeOffset.UnixEpoch, [], [], [], [], false);

    [Fact]
    public async Task Reconcile_SkipsAttestationAndSbomManifests_AnnouncesTheImages()
    {
        var image = "sha256:" + new string('1', 64);
        var untagged = "sha256:" + new string('2', 64);
        var attestation = "sha256:" + new string('3', 64);
        var sbom = "sha256:" + new string('4', 64);
        var bundle = "sha256:" + new string('5', 64);
        var harbor = Substitute.For<IHarborClient>();
        harbor.ListRepositoriesAsync("team", 1, Arg.Any<int>(), Arg.Any<CancellationToken>())
            .Returns(new HarborPage<HarborRepository>([new HarborRepository(1, 1, "team/app", 4)], 1, false));
        harbor.ListArtifactsPushedAsync("team", "app", Arg.Any<DateTimeOffset?>(), Arg.Any<DateTimeOffset?>(), 1, Arg.Any<int>(), Arg.Any<CancellationToken>())
            .Returns(new HarborPage<HarborArtifact>([
                Artifact(image, "1.0"),
                Artifact(untagged),
                Artifact(attestation, "sha256-" + new string('1', 64) + ".att"),
                Artifact(sbom, "sha256-" + new string('1', 64) + ".sbom"),
                Bundle(bundle),
            ], 5, false));
        var schedule = Substitute.For<IScheduleStore>();
        schedule.KnownDigestsAsync(default!, default!, default!, default).ReturnsForAnyArgs(new HashSet<string>());
        using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(harbor)
            .AddSingleton(schedule)
            .AddSingleton(TimeProvider.System)
            .Configure<HarborOptions>(o => o.Url = "https://harbor.example.test")
            .Configure<SchedulesOptions>(o => o.Reconciliation.Projects = ["team"])
            .Configure<WebhookOptions>(_ => { })
            .AddSingleton<WebhookAuthenticator>()
            .AddSingleton<WebhookRepair>()
            .AddSingleton<Reconciler>()
            .BuildServiceProvider();
        var publisher = Substitute.For<IPublishEndpoint>();

        await services.GetRequiredService<Reconciler>().ReconcileAsync(new ReconcileHarbor("run-1", DateTimeOffset.UnixEpoch), publisher, default);

        var announced = publisher.ReceivedCalls().Select(c => c.GetArguments()[0]).OfType<ArtifactPushed>().Select(p => p.Artifact.Digest).Order(StringComparer.Ordinal);
        Assert.Equal([image, untagged], announced);
    }
}
