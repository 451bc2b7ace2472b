using HarborBridge.Decisions;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scheduling;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
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

namespace HarborBridge.UnitTests.Consumers;

/// <summary>Direct Trivy mode, audit #9: Trivy's cache lock timing out says nothing about the image. It must be retried
/// like any transient error and, if it persists, end in the error queue, never as a scan failure that
/// <c>onScanFailure</c> turns into a verdict (with <c>allow</c>, an unscanned image would be signed).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TrivyCacheBusyTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('e', 64));
    private readonly string _dir = SqliteHarness.NewFolder("trivybusy");
    private SqliteHarness _host = null!;
    private string _trivy = "";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A stand-in trivy that fails with Trivy's cache-lock message the first <paramref name="busyRuns"/> times.</summary>
    private async Task StartAsync(int busyRuns)
    {
        var policyFile = Path.Combine(_dir, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\ndefaults:\n  onScanFailure: allow\n");
        var counter = Path.Combine(_dir, "runs");
        var report = Fixtures.PathOf("policy", "trivy", "alpine-39.json.golden");
        _trivy = Path.Combine(_dir, "trivy");
        await File.WriteAllTextAsync(_trivy, $"""
            #!/bin/bash
            echo x >> '{counter}'
            if [ "$(wc -l < '{counter}')" -le {busyRuns} ]; then
              echo 'FATAL init error: cache may be in use by another process: timeout' >&2
              exit 1
            fi
            cat '{report}'

            """);
        File.SetUnixFileMode(_trivy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var harbor = Substitute.For<IHarborClient>();
        harbor.GetProjectMetadataAsync(Artifact.Project, Arg.Any<CancellationToken>()).Returns(new Dictionary<string, string> { ["auto_scan"] = "false" });
        _host = await SqliteHarness.StartAsync(
            _dir,
            services => services
                .AddMemoryCache()
                .AddSingleton<TimeProvider>(new FakeTimeProvider(Now))
                .AddSingleton(harbor)
                .Configure<HarborOptions>(o => o.Url = "https://harbor.example.com")
                .Configure<TrivyOptions>(o => (o.Enabled, o.Path) = (true, _trivy))
                .Configure<PolicyOptions>(o => o.File = policyFile)
                .AddSingleton<IDecisionStore, SqlDecisionStore>()
                .AddSingleton<PolicyProvider>()
                .AddSingleton<TrivyRunner>()
                .AddSingleton<IScanEvidence, TrivyScanEvidence>()
                .AddSingleton(NSubstitute.Substitute.For<HarborBridge.Core.Policy.IUpstreamEvidence>()) // the policy requires no upstream signature
                .AddSingleton<Core.Policy.IGrantedExceptions>(Core.Policy.NoGrantedExceptions.Instance)
                .AddSingleton<DecisionService>()
                .AddSingleton<VerdictPublisher>()
                .AddSingleton<ScanFailureHandler>()
                .AddSingleton<ProjectAutoScanCache>()
                .AddSingleton<ScanOrchestrator>(),
            x =>
            {
                x.AddConfigureEndpointsCallback((_, endpoint) => endpoint.UseMessageRetry(r => r.Immediate(3)));
                x.AddConsumer<RequestScanConsumer>();
            },
            inactivityTimeout: TimeSpan.FromSeconds(2));
    }

    private int Verdicts() => _host.Harness.Published.Select<ArtifactApproved>().Count()
        + _host.Harness.Published.Select<ArtifactWarned>().Count() + _host.Harness.Published.Select<ArtifactBlocked>().Count();

    [Fact]
    public async Task Push_CacheBusyOnce_RetriedAndDecidedFromTheReportOnce()
    {
        await StartAsync(busyRuns: 1);

        await _host.Harness.Bus.Publish(new ArtifactPushed("push-1", Artifact, "v1", "alice", Now));

        Assert.True(await _host.Harness.Consumed.Any<ArtifactPushed>());
        await _host.Harness.InactivityTask;
        Assert.Equal(1, Verdicts());
        Assert.DoesNotContain(await _host.Get<IDecisionStore>().GetTransitionsAsync(Artifact.Digest, default), t => t.ToState == ArtifactStates.ScanFailed);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_dir, "runs")).Length);
        Assert.False(await _host.Harness.Published.Any<Fault<ArtifactPushed>>());
    }

    [Fact]
    public async Task Push_CacheBusyOnEveryAttempt_ErrorQueueNoVerdictNoScanFailed()
    {
        await StartAsync(busyRuns: 100);

        await _host.Harness.Bus.Publish(new ArtifactPushed("push-2", Artifact, "v1", "alice", Now));

        Assert.True(await _host.Harness.Published.Any<Fault<ArtifactPushed>>());
        await _host.Harness.InactivityTask;
        Assert.Equal(0, Verdicts());
        Assert.DoesNotContain(await _host.Get<IDecisionStore>().GetTransitionsAsync(Artifact.Digest, default), t => t.ToState == ArtifactStates.ScanFailed);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(_dir, "runs")).Length);
    }
}
