using HarborBridge.Core.Policy;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Decisions;
using HarborBridge.Core.Harbor;
using HarborBridge.Harbor;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using HarborBridge.Scanning;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scheduling;

namespace HarborBridge.UnitTests.Consumers;

/// <summary>
/// Asking Harbor for a scan when Harbor fails: the message retry must ask again. Found by the fault test with Harbor
/// answering 30 % 503/429 — the scan used to be recorded as requested before Harbor was asked, so the retry found it
/// recorded and stopped, and only the scan-timeout sweep could start it (and lost the artifact when its starts failed too).
/// Real decision store on a SQLite file, Harbor substituted, consumers with immediate message retries as in serve.
/// </summary>
public sealed class ScanRequestRetryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('d', 64));

    private readonly FakeTimeProvider _clock = new(Now);
    private readonly IHarborClient _harbor = Substitute.For<IHarborClient>();
    private SqliteHarness _host = null!;

    private ITestHarness Harness => _host.Harness;

    private IDecisionStore Decisions => _host.Get<IDecisionStore>();

    public async Task InitializeAsync()
    {
        var dir = SqliteHarness.NewFolder("scanretry");
        var policyFile = Path.Combine(dir, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\n");
        _harbor.GetArtifactAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborArtifact(7, Artifact.Digest, "IMAGE", null, null, 1024, Now, ["v1"], [], [], [], true));
        _harbor.GetProjectMetadataAsync(Artifact.Project, Arg.Any<CancellationToken>())
            .Returns(new Dictionary<string, string> { ["auto_scan"] = "false" });
        _host = await SqliteHarness.StartAsync(
            dir,
            services => services
                .AddMemoryCache()
                .AddSingleton<TimeProvider>(_clock)
                .AddSingleton(_harbor)
                .Configure<HarborOptions>(o => o.Url = "https://harbor.example.com")
                .Configure<PolicyOptions>(o => o.File = policyFile)
                .AddSingleton<IDecisionStore, SqlDecisionStore>()
                .AddSingleton<PolicyProvider>()
                .AddSingleton<IScanEvidence, HarborScanEvidence>()
                .AddSingleton(NSubstitute.Substitute.For<HarborBridge.Core.Policy.IUpstreamEvidence>()) // the policy requires no upstream signature
                .AddSingleton<Core.Policy.IGrantedExceptions>(Core.Policy.NoGrantedExceptions.Instance)
                .AddSingleton<DecisionService>()
                .AddSingleton<VerdictPublisher>()
                .AddSingleton<ScanFailureHandler>()
                .AddSingleton<TrivyRunner>()
                .AddSingleton<ProjectAutoScanCache>()
                .AddSingleton<ScanOrchestrator>(),
            x =>
            {
                x.AddConfigureEndpointsCallback((_, endpoint) => endpoint.UseMessageRetry(r => r.Immediate(3)));
                x.AddConsumer<RequestScanConsumer>();
                x.AddConsumer<CheckScanConsumer>();
                x.AddConsumer<EvaluateScanConsumer>();
            },
            inactivityTimeout: TimeSpan.FromSeconds(2));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static HarborApiException Unavailable() =>
        new("start scan", 503, [new HarborError("UNKNOWN", "internal server error")], "req-1");

    private static ArtifactPushed Pushed(string eventId) => new(eventId, Artifact, "v1", "alice", Now);

    private static HarborScanOverview Scan(string status, DateTimeOffset startedAt) => new(
        HarborReportMimeTypes.Vulnerability11, "report-1", status, null, null, null, null, new Dictionary<string, int>(), startedAt, null, "Trivy", "v0.65.0");

    private void HarborShows(params HarborScanOverview[] scans) =>
        _harbor.GetArtifactAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborArtifact(7, Artifact.Digest, "IMAGE", null, null, 1024, Now, ["v1"], [], [], scans, true));

    /// <summary>Publishes and waits until the message was handled, retries included (a handled message is consumed once,
    /// a message whose retries ran out faults).</summary>
    private async Task HandleAsync<T>(T message)
        where T : class
    {
        var before = Harness.Consumed.Select<T>().Count();
        await Harness.Bus.Publish(message);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (Harness.Consumed.Select<T>().Count() == before)
        {
            await Task.Delay(20, deadline.Token);
        }

        await Harness.InactivityTask;
    }

    private async Task<int> ScanAttemptsRecordedAsync() =>
        (await Decisions.FindStaleScansAsync(Now.AddDays(1), 10, 10, CancellationToken.None)).Single(s => s.Artifact == Artifact).Attempts;

    private async Task<int> ScanRequestedTransitionsAsync() =>
        (await Decisions.GetTransitionsAsync(Artifact.Digest, CancellationToken.None)).Count(t => t.ToState == ArtifactStates.Scanning);

    [Fact]
    public async Task Push_HarborAnswers503Once_RetryAsksHarborAgain_OneScanRecorded()
    {
        _harbor.StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(_ => throw Unavailable(), _ => Task.FromResult(ScanStartResult.Started));

        await HandleAsync(Pushed("push-1"));

        await _harbor.Received(2).StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>());
        Assert.Equal(1, await ScanRequestedTransitionsAsync());
        Assert.Equal(1, await ScanAttemptsRecordedAsync());
        Assert.False(await Harness.Published.Any<Fault<ArtifactPushed>>());
    }

    [Fact]
    public async Task Push_HarborDownForEveryAttempt_NothingRecorded_FaultsForTheErrorQueue()
    {
        _harbor.StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>()).ThrowsAsync(Unavailable());

        await Harness.Bus.Publish(Pushed("push-1"));

        Assert.True(await Harness.Published.Any<Fault<ArtifactPushed>>());
        await _harbor.Received(4).StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>());
        Assert.Equal(0, await ScanRequestedTransitionsAsync());
    }

    [Fact]
    public async Task Push_Redelivered_AfterHarborStartedTheScan_HarborAskedOnce()
    {
        _harbor.StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>()).Returns(ScanStartResult.Started);

        await HandleAsync(Pushed("push-1"));
        await HandleAsync(Pushed("push-1"));

        await _harbor.Received(1).StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>());
        Assert.Equal(1, await ScanRequestedTransitionsAsync());
    }

    [Fact]
    public async Task Push_ArtifactAlreadyDecided_HarborNotAsked()
    {
        await Decisions.ApplyAsync(new LifecycleChange(Artifact, new ScanVerdictCause(Verdict.Pass, true, Now), "setup:approved", "test set-up", "test", Now),
            CancellationToken.None);

        await HandleAsync(Pushed("push-2"));

        await _harbor.DidNotReceive().StartScanAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.Equal(0, await ScanRequestedTransitionsAsync());
    }

    [Fact]
    public async Task TimedOutScan_HarborAnswers503Once_RetryAsksAgain_CountedAsOneMoreAttempt()
    {
        _harbor.StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(_ => Task.FromResult(ScanStartResult.Started), _ => throw Unavailable(), _ => Task.FromResult(ScanStartResult.Started));
        await HandleAsync(Pushed("push-1"));
        Assert.Equal(1, await ScanAttemptsRecordedAsync());

        // Harbor shows no scan for the artifact (its start was lost), so the sweep's check asks for one again.
        await HandleAsync(new CheckScan(Artifact, 1, Now.AddMinutes(6)));

        await _harbor.Received(3).StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>());
        Assert.Equal(2, await ScanAttemptsRecordedAsync());
        Assert.Equal(2, await ScanRequestedTransitionsAsync());
        Assert.False(await Harness.Published.Any<Fault<CheckScan>>());
    }

    [Theory]
    [InlineData("Running")]
    [InlineData("Success")]
    public async Task Push_HarborAlreadyScannedSinceThePush_NotAskedAgain_ScanRecorded(string status)
    {
        // E.g. the first attempt's Harbor call went through and recording it failed (database restarting): the retry
        // must not start a second scan, which would replace the report and decide the artifact twice.
        HarborShows(Scan(status, Now));

        await HandleAsync(Pushed("push-1"));

        await _harbor.DidNotReceive().StartScanAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.Equal(1, await ScanRequestedTransitionsAsync());
    }

    [Fact]
    public async Task Push_OnlyAScanFromBeforeThePush_HarborAskedToScan()
    {
        HarborShows(Scan("Success", Now.AddDays(-3)));
        _harbor.StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>()).Returns(ScanStartResult.Started);

        await HandleAsync(Pushed("push-1"));

        await _harbor.Received(1).StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task ScanCompleted_WhileANewerScanReplacesTheReport_NotDecidedUntilThatScanCompletes()
    {
        _harbor.StartScanAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>()).Returns(ScanStartResult.Started);
        await HandleAsync(Pushed("push-1"));
        HarborShows(Scan("Running", Now.AddSeconds(5)));
        _harbor.GetVulnerabilityReportAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns((HarborVulnerabilityReport?)null);

        await HandleAsync(new ScanCompleted("completed-1", Artifact, "v1", "admin", Now.AddSeconds(4), null));

        Assert.False(await Harness.Published.Any<ArtifactBlocked>());
        Assert.False(await Harness.Published.Any<ArtifactApproved>());
        Assert.Empty(await Decisions.GetDecisionsAsync(Artifact.Digest, CancellationToken.None));

        HarborShows(Scan("Success", Now.AddSeconds(5)));
        _harbor.GetVulnerabilityReportAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborVulnerabilityReport(HarborReportMimeTypes.Vulnerability11,
                """{"scanner":{"name":"Trivy","version":"v0.65.0"},"severity":"None","vulnerabilities":[]}"""));
        await HandleAsync(new ScanCompleted("completed-2", Artifact, "v1", "admin", Now.AddSeconds(9), null));

        Assert.Equal("Pass", Assert.Single(await Decisions.GetDecisionsAsync(Artifact.Digest, CancellationToken.None)).Verdict);
        Assert.False(await Harness.Published.Any<ArtifactBlocked>());
    }

    [Fact]
    public async Task ScanCompleted_NoReportAndNoScanRunning_DecidedOnTheMissingReportAsBefore()
    {
        HarborShows(Scan("Success", Now));
        _harbor.GetVulnerabilityReportAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns((HarborVulnerabilityReport?)null);

        await HandleAsync(new ScanCompleted("completed-1", Artifact, "v1", "admin", Now, null));

        Assert.Single(await Decisions.GetDecisionsAsync(Artifact.Digest, CancellationToken.None));
    }
}
