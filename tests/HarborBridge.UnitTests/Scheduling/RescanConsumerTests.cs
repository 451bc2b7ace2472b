using HarborBridge.Core.Policy;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Decisions;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Scheduling;
using HarborBridge.Harbor;
using HarborBridge.Hosting;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using HarborBridge.Scheduling;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;

namespace HarborBridge.UnitTests.Scheduling;

/// <summary>Rescans and fix-by deadlines with an injected clock: real stores on a SQLite file, Harbor substituted.</summary>
public sealed class RescanConsumerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('c', 64));
    private const string CleanReport = """{"scanner":{"name":"Trivy","version":"v0.65.0"},"severity":"None","vulnerabilities":[]}""";
    private const string CriticalReport = """
        {"scanner":{"name":"Trivy","version":"v0.65.0"},"severity":"Critical","vulnerabilities":[
          {"id":"CVE-2026-40001","package":"openssl","version":"3.0.1","fix_version":"3.0.2","severity":"Critical"}]}
        """;

    private readonly FakeTimeProvider _clock = new(Now);
    private readonly IHarborClient _harbor = Substitute.For<IHarborClient>();
    private SqliteHarness _host = null!;

    private ITestHarness Harness => _host.Harness;

    private IScheduleStore Schedule => _host.Get<IScheduleStore>();

    private IDecisionStore Decisions => _host.Get<IDecisionStore>();

    public async Task InitializeAsync()
    {
        var dir = SqliteHarness.NewFolder("rescan");
        var policyFile = Path.Combine(dir, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\nrescan:\n  fixWithin: { CRITICAL: 7d, HIGH: 30d }\n");
        _host = await SqliteHarness.StartAsync(
            dir,
            services => services
                .AddSingleton<TimeProvider>(_clock)
                .AddSingleton(_harbor)
                .Configure<HarborOptions>(o => o.Url = "https://harbor.example.com")
                .Configure<PolicyOptions>(o => o.File = policyFile)
                .AddSingleton<IArtifactStore, SqlArtifactStore>()
                .AddSingleton<IDecisionStore, SqlDecisionStore>()
                .AddSingleton<IScheduleStore, SqlScheduleStore>()
                .AddSingleton<PolicyProvider>()
                .AddSingleton<IScanEvidence, HarborScanEvidence>()
                .AddSingleton(NSubstitute.Substitute.For<HarborBridge.Core.Policy.IUpstreamEvidence>()) // the policy requires no upstream signature
                .AddSingleton<Core.Policy.IGrantedExceptions>(Core.Policy.NoGrantedExceptions.Instance)
                .AddSingleton<DecisionService>()
                .AddSingleton<RescanService>(),
            x =>
            {
                x.AddConsumer<ReevaluateArtifactConsumer>();
                x.AddConsumer<EnforceAtRiskDeadlineConsumer>();
            });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private void HarborReports(string json) =>
        _harbor.GetVulnerabilityReportAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborVulnerabilityReport(HarborReportMimeTypes.Vulnerability11, json));

    // Reached as the pipeline reaches it: a verdict on a report of yesterday (Approved: pass; Quarantined: an enforced block).
    private Task InStateAsync(string state) => Decisions.ApplyAsync(new LifecycleChange(Artifact,
        new ScanVerdictCause(state == ArtifactStates.Quarantined ? Verdict.Block : Verdict.Pass, true, Now.AddDays(-1)), $"setup:{state}",
        "test set-up", "test", Now.AddDays(-1)), CancellationToken.None);

    private async Task<string> StateAsync() =>
        (await _host.Get<IArtifactStore>().FindByDigestAsync(Artifact.Digest, CancellationToken.None)).Single().State;

    [Fact]
    public async Task Reevaluate_ApprovedNowCritical_AtRiskUntilSevenDaysLater()
    {
        await InStateAsync(ArtifactStates.Approved);
        HarborReports(CriticalReport);

        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-1", Artifact, "scheduled rescan", Now));

        Assert.True(await Harness.Published.Any<ArtifactAtRisk>());
        var atRisk = Harness.Published.Select<ArtifactAtRisk>().Single().Context.Message;
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero), atRisk.FixBy);
        Assert.Equal("CVE-2026-40001", Assert.Single(atRisk.Findings).Id);
        Assert.Equal(ArtifactStates.AtRisk, await StateAsync());
        Assert.False(await Harness.Published.Any<ArtifactBlocked>());
    }

    [Fact]
    public async Task Deadline_NotYetPassed_NothingDue_ThenPassed_BlockedAndQuarantined()
    {
        await InStateAsync(ArtifactStates.Approved);
        HarborReports(CriticalReport);
        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-1", Artifact, "scheduled rescan", Now));
        Assert.True(await Harness.Published.Any<ArtifactAtRisk>());

        _clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.Empty(await Schedule.FindExpiredAtRiskAsync(_clock.GetUtcNow(), 10, CancellationToken.None));
        _clock.Advance(TimeSpan.FromMinutes(1));
        var due = Assert.Single(await Schedule.FindExpiredAtRiskAsync(_clock.GetUtcNow(), 10, CancellationToken.None));

        await Harness.Bus.Publish(new EnforceAtRiskDeadline(Artifact, due.DecisionId, due.FixBy, _clock.GetUtcNow()));

        Assert.True(await Harness.Published.Any<ArtifactBlocked>());
        var blocked = Harness.Published.Select<ArtifactBlocked>().Single().Context.Message;
        Assert.True(blocked.Enforced);
        Assert.StartsWith("not fixed by 2026-12-04 12:00:00Z", blocked.Reason, StringComparison.Ordinal);
        Assert.Equal(ArtifactStates.Quarantined, await StateAsync());
        Assert.Empty(await Schedule.FindExpiredAtRiskAsync(_clock.GetUtcNow(), 10, CancellationToken.None));
    }

    [Fact]
    public async Task Deadline_FixedInTheMeantime_ClearedNotBlocked()
    {
        await InStateAsync(ArtifactStates.Approved);
        HarborReports(CriticalReport);
        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-1", Artifact, "scheduled rescan", Now));
        Assert.True(await Harness.Published.Any<ArtifactAtRisk>());
        HarborReports(CleanReport); // e.g. the finding was withdrawn, or an exception now covers it
        _clock.Advance(TimeSpan.FromDays(8));
        var due = Assert.Single(await Schedule.FindExpiredAtRiskAsync(_clock.GetUtcNow(), 10, CancellationToken.None));
        await Harness.Bus.Publish(new EnforceAtRiskDeadline(Artifact, due.DecisionId, due.FixBy, _clock.GetUtcNow()));

        Assert.True(await Harness.Consumed.Any<EnforceAtRiskDeadline>());
        Assert.True(await Harness.Published.Any<ArtifactApproved>());
        Assert.False(await Harness.Published.Any<ArtifactBlocked>());
        Assert.Equal(ArtifactStates.Approved, await StateAsync());
        Assert.Equal("cleared", (await Schedule.GetAtRiskAsync(Artifact, CancellationToken.None))!.Resolution);
    }

    [Fact]
    public async Task Reevaluate_QuarantinedNowClean_AsksForReleaseByRescan()
    {
        await InStateAsync(ArtifactStates.Quarantined);
        HarborReports(CleanReport);

        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-2", Artifact, "scheduled rescan", Now));

        Assert.True(await Harness.Published.Any<ReleaseArtifact>());
        var release = Harness.Published.Select<ReleaseArtifact>().Single().Context.Message;
        Assert.Equal(("rescan", "rescan", Artifact), (release.Cause, release.Actor, release.Artifact));
    }

    [Fact]
    public async Task Reevaluate_ApprovedStillClean_NothingPublished()
    {
        await InStateAsync(ArtifactStates.Approved);
        HarborReports(CleanReport);

        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-3", Artifact, "scheduled rescan", Now));

        Assert.True(await Harness.Consumed.Any<ReevaluateArtifact>());
        Assert.False(await Harness.Published.Any<ArtifactAtRisk>());
        Assert.False(await Harness.Published.Any<ReleaseArtifact>());
        Assert.Equal(ArtifactStates.Approved, await StateAsync());
    }

    [Fact]
    public async Task Reevaluate_Redelivered_OneDeadlineSameFixBy()
    {
        await InStateAsync(ArtifactStates.Approved);
        HarborReports(CriticalReport);
        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-1", Artifact, "scheduled rescan", Now));
        Assert.True(await Harness.Published.Any<ArtifactAtRisk>());

        _clock.Advance(TimeSpan.FromDays(1));
        await Harness.Bus.Publish(new ReevaluateArtifact("rescan-1", Artifact, "scheduled rescan", Now));
        Assert.True(await Harness.Consumed.Any<ReevaluateArtifact>(c => c.Context.Message.RequestId == "rescan-1"));

        Assert.Equal(Now.AddDays(7), (await Schedule.GetAtRiskAsync(Artifact, CancellationToken.None))!.FixBy);
        Assert.Single(await Decisions.GetDecisionsAsync(Artifact.Digest, CancellationToken.None));
    }
}
