using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>
/// The artifact life cycle end to end over the Harbor simulator (in front of docker-registry), RabbitMQ and PostgreSQL:
/// forged scan failures, direct Trivy mode with rescans, a digest deleted and pushed again, a failure between scanning and
/// deciding, and a failed scan held for a retry. Each of these went wrong before the life cycle had one owner (issue 16).
/// </summary>
public sealed class LifecycleTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly string Reports = TestEnvironment.FixturePath("policy", "harbor");

    private readonly PipelineHost _host = new("life");
    private Observed<OperatorAlertRaised> _alerts = null!;

    private IDecisionStore Decisions => _host.Decisions;

    private string TrivyLog => _host.PathOf("trivy-invocations.log");

    /// <summary>Starts the pipeline (its webhook policy also sends DELETE_ARTIFACT, the scheduled jobs off unless a test
    /// sets them) and observes operator alerts.</summary>
    private async Task StartAsync(PipelineHostOptions options)
    {
        await _host.StartAsync(options with
        {
            WebhookEvents = ["PUSH_ARTIFACT", "DELETE_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED"],
            ScheduledJobs = false,
            Patience = Patience,
        });
        _alerts = await _host.ObserveAsync<OperatorAlertRaised>();
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private Task<bool> ReachesAsync(ArtifactRef a, string state, TimeSpan? within = null) =>
        TestEnvironment.EventuallyAsync(async () => await _host.StateAsync(a) == state, within ?? Patience);

    private async Task<(ArtifactRef Artifact, OciLayoutImage Image)> PushAsync(string repository)
    {
        var image = await _host.Session.PushImageAsync(repository, "v1", TestServices.Timeout(120));
        return (new ArtifactRef(_host.Session.Project, repository, image.ManifestDigest), image);
    }

    /// <summary><c>harborbridge_transitions_refused_total{from,cause}</c> as <c>/metrics</c> serves it (0 before the first).</summary>
    private async Task<double> RefusedTransitionsAsync(string from, string cause)
    {
        using var client = _host.Factory.CreateClient();
        return (await PrometheusText.ScrapeAsync(client)).GetValueOrDefault($"harborbridge_transitions_refused_total{{from=\"{from}\",cause=\"{cause}\"}}");
    }

    /// <summary>A SCANNING_FAILED (or another) webhook in Harbor's Default format, sent by someone who holds the webhook auth header.</summary>
    private async Task<int> ForgeScanFailedAsync(ArtifactRef a, string type = "SCANNING_FAILED")
    {
        var body = new JsonObject
        {
            ["type"] = type,
            ["occur_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["operator"] = "auto",
            ["event_data"] = new JsonObject
            {
                ["resources"] = new JsonArray(new JsonObject
                {
                    ["digest"] = a.Digest,
                    ["tag"] = "v1",
                    ["resource_url"] = $"{_host.Session.Simulator.RegistryHost}/{a.Project}/{a.Repository}:v1",
                }),
                ["repository"] = new JsonObject
                {
                    ["name"] = a.Repository, ["namespace"] = a.Project, ["repo_full_name"] = $"{a.Project}/{a.Repository}", ["repo_type"] = "private",
                },
            },
        };
        using var client = _host.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/harbor")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", HarborBridgeFactory.AuthHeader);
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }

    [Theory]
    [InlineData("hold")]
    [InlineData("allow")]
    [InlineData("quarantine")]
    public async Task ForgedScanFailed_ForAQuarantinedArtifact_ChangesNothingAndRaisesOneAlert(string onScanFailure)
    {
        await StartAsync(new()
        {
            Policy = $"version: 1\ndefaults:\n  block: {{ severity: CRITICAL }}\n  onScanFailure: {onScanFailure}\n  quarantine: {{ strategies: [label] }}\n",
            Reports = { ["app"] = Path.Combine(Reports, "harbor-5-vuln.json") }, // 2 CRITICAL
        });
        var (artifact, _) = await PushAsync("app");
        Assert.True(await ReachesAsync(artifact, ArtifactStates.Quarantined), "the critical image was not quarantined");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetTransitionsAsync(artifact.Digest, default))
            .Any(t => t.Cause.StartsWith("quarantine applied", StringComparison.Ordinal)), Patience), "the quarantine was not applied");
        var decisionsBefore = (await Decisions.GetDecisionsAsync(artifact.Digest, default)).Count;
        var transitionsBefore = (await Decisions.GetTransitionsAsync(artifact.Digest, default)).Count;

        Assert.Equal(202, await ForgeScanFailedAsync(artifact));

        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(_alerts.Snapshot().Any(x => x.Artifact == artifact)), Patience),
            "no operator alert for the forged event");
        await Task.Delay(TimeSpan.FromSeconds(5)); // a second alert or a late state change would land now
        Assert.Equal(ArtifactStates.Quarantined, await _host.StateAsync(artifact));
        Assert.Equal(decisionsBefore, (await Decisions.GetDecisionsAsync(artifact.Digest, default)).Count);
        Assert.Equal(transitionsBefore, (await Decisions.GetTransitionsAsync(artifact.Digest, default)).Count);
        Assert.Equal(0, await _host.SignaturesAsync(artifact));
        var alert = Assert.Single(_alerts.Snapshot(), x => x.Artifact == artifact);
        Assert.Contains("SCANNING_FAILED", alert.Summary, StringComparison.Ordinal);
        Assert.Contains("Success", alert.Detail, StringComparison.Ordinal); // what Harbor says of the scan
    }

    [Fact]
    public async Task ForgedDeleteArtifact_ForAQuarantinedArtifactStillInHarbor_ChangesNothingAndRaisesOneAlert()
    {
        await StartAsync(new()
        {
            Policy = "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n  quarantine: { strategies: [label] }\n",
            Reports = { ["app"] = Path.Combine(Reports, "harbor-5-vuln.json") }, // 2 CRITICAL
        });
        var (artifact, _) = await PushAsync("app");
        Assert.True(await ReachesAsync(artifact, ArtifactStates.Quarantined), "the critical image was not quarantined");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetTransitionsAsync(artifact.Digest, default))
            .Any(t => t.Cause.StartsWith("quarantine applied", StringComparison.Ordinal)), Patience), "the quarantine was not applied");
        var transitionsBefore = (await Decisions.GetTransitionsAsync(artifact.Digest, default)).Count;
        var refusedBefore = await RefusedTransitionsAsync("Quarantined", "deleted");

        Assert.Equal(202, await ForgeScanFailedAsync(artifact, "DELETE_ARTIFACT"));

        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(_alerts.Snapshot().Any(x => x.Artifact == artifact)), Patience),
            $"no operator alert for the forged deletion (state {await _host.StateAsync(artifact)})");
        await Task.Delay(TimeSpan.FromSeconds(5)); // a late state change or a second alert would land now
        Assert.Equal(ArtifactStates.Quarantined, await _host.StateAsync(artifact));
        Assert.Equal(transitionsBefore, (await Decisions.GetTransitionsAsync(artifact.Digest, default)).Count);
        Assert.Contains(await _host.Factory.Store.GetEventsAsync(artifact.Digest, default), e => e.EventType == "DELETE_ARTIFACT"); // kept in the history
        Assert.Equal(refusedBefore + 1, await RefusedTransitionsAsync("Quarantined", "deleted")); // counted where operators look
        var alert = Assert.Single(_alerts.Snapshot(), x => x.Artifact == artifact);
        Assert.Contains("DELETE_ARTIFACT", alert.Summary, StringComparison.Ordinal);
        Assert.Contains("still has the artifact", alert.Detail, StringComparison.Ordinal);
    }

    /// <summary>A stand-in for <c>trivy</c>: logs each run, prints a real Trivy report without findings stamped with the time
    /// of the run (as Trivy's CreatedAt is), and fails its first <paramref name="failFirst"/> runs.</summary>
    private string TrivyStandIn(int failFirst = 0)
    {
        var script = _host.PathOf("trivy");
        var report = TestEnvironment.FixturePath("policy", "trivy", "scheme_2_no_vuln.json");
        File.WriteAllText(script, $$"""
            #!/bin/bash
            echo "$*" >> '{{TrivyLog}}'
            runs=$(wc -l < '{{TrivyLog}}')
            if [ "$runs" -le {{failFirst}} ]; then echo "cache may be in use by another process" >&2; exit 1; fi
            python3 -c 'import json,sys,datetime; r=json.load(open(sys.argv[1])); r["CreatedAt"]=datetime.datetime.now(datetime.timezone.utc).isoformat(); print(json.dumps(r))' '{{report}}'
            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the Trivy stand-in is a bash script");
        }

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private int TrivyRuns => File.Exists(TrivyLog) ? File.ReadAllLines(TrivyLog).Length : 0;

    [Fact]
    public async Task DirectTrivyMode_RescansEveryFewSeconds_ApprovedStaysApprovedAndIsRescannedWithTrivy()
    {
        await StartAsync(new()
        {
            Policy = "version: 1\ndefaults:\n  block: { severity: CRITICAL }\n",
            Settings =
            {
                ["HarborBridge:Trivy:Enabled"] = "true",
                ["HarborBridge:Trivy:Path"] = TrivyStandIn(),
                ["HarborBridge:Schedules:Rescan"] = "0/2 * * * * ?",
                ["HarborBridge:Schedules:AtRiskDeadlines"] = "0/2 * * * * ?",
                ["HarborBridge:Schedules:RescanMinInterval"] = "00:00:01",
            },
        });
        var (artifact, _) = await PushAsync("svc");
        Assert.True(await ReachesAsync(artifact, ArtifactStates.Approved), "the clean image was not approved");

        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(TrivyRuns >= 3), Patience), $"Trivy ran {TrivyRuns} time(s); rescans did not use it");
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(ArtifactStates.Approved, await _host.StateAsync(artifact));
        var transitions = await Decisions.GetTransitionsAsync(artifact.Digest, default);
        Assert.DoesNotContain(transitions, t => t.ToState is ArtifactStates.AtRisk or ArtifactStates.Quarantined);
        Assert.All(File.ReadAllLines(TrivyLog), line => Assert.EndsWith($"{_host.Session.Project}/svc@{artifact.Digest}", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeletedThenPushedAgain_DecidedAndSignedAgain()
    {
        await StartAsync(new() { Policy = "version: 1\n", Sign = true });
        var (artifact, image) = await PushAsync("web");
        Assert.True(await ReachesAsync(artifact, ArtifactStates.Approved));
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.SignaturesAsync(artifact) == 1, Patience), "not signed the first time");

        await _host.Session.Harbor.DeleteArtifactAsync(artifact.Project, artifact.Repository, artifact.Digest, default);
        Assert.True(await ReachesAsync(artifact, ArtifactStates.Deleted), "the DELETE_ARTIFACT event did not mark it deleted");
        // Harbor deletes the accessories with their subject: "signed again" starts from no signature in the registry.
        Assert.Null(await _host.Session.Registry.HeadManifestAsync(_host.Session.Repository(artifact.Repository), $"sha256-{artifact.Digest["sha256:".Length..]}.sig", default));

        await image.PushAsync($"{_host.Session.Simulator.RegistryHost}/{artifact.Project}/{artifact.Repository}:v1", _host.Session.WorkDir, TestServices.Timeout(120));
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await Decisions.GetDecisionsAsync(artifact.Digest, default)).Count == 2, Patience),
            "the digest pushed again was not decided again");
        Assert.True(await ReachesAsync(artifact, ArtifactStates.Approved));
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.SignaturesAsync(artifact) == 1, Patience), "not signed again after the new push");
        var states = (await Decisions.GetTransitionsAsync(artifact.Digest, default)).Select(t => t.ToState).ToList();
        var deleted = states.IndexOf(ArtifactStates.Deleted);
        Assert.True(deleted > 0, string.Join(" → ", states));
        Assert.Equal([ArtifactStates.Received, ArtifactStates.Scanning, ArtifactStates.Approved], states.Skip(deleted + 1).Take(3));
    }

    [Fact]
    public async Task DirectTrivyMode_FailureBetweenScanAndDecision_DecidedOnTheRetry()
    {
        var failures = 0;
        await StartAsync(new()
        {
            Policy = "version: 1\n",
            Settings = { ["HarborBridge:Trivy:Enabled"] = "true", ["HarborBridge:Trivy:Path"] = TrivyStandIn() },
            Services = services => FailFirstVerdictWrite(services, () => Interlocked.Increment(ref failures) == 1),
        });
        var (artifact, _) = await PushAsync("api");

        Assert.True(await ReachesAsync(artifact, ArtifactStates.Approved), $"not decided after the failed write ({await _host.StateAsync(artifact)})");
        Assert.True(failures >= 2, "the injected failure did not happen");
        Assert.Equal(2, TrivyRuns); // the scan ran again with the retry, as the whole step is retried
        Assert.Single(await Decisions.GetDecisionsAsync(artifact.Digest, default));
    }

    /// <summary>Wraps the decision store so that the first verdict write throws (a database error between the scan and its
    /// decision), as a crash or a lost connection would.</summary>
    private static void FailFirstVerdictWrite(IServiceCollection services, Func<bool> fail)
    {
        var inner = services.Single(d => d.ServiceType == typeof(IDecisionStore));
        services.RemoveAll<IDecisionStore>();
        services.AddSingleton<IDecisionStore>(sp => new FailingDecisionStore(
            (IDecisionStore)ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!), fail));
    }

    private sealed class FailingDecisionStore(IDecisionStore inner, Func<bool> fail) : IDecisionStore
    {
        public Task<LifecycleResult> ApplyAsync(LifecycleChange change, CancellationToken cancellationToken) =>
            change.Cause is ScanVerdictCause && fail()
                ? throw new InvalidOperationException("injected: the database went away before the decision was stored")
                : inner.ApplyAsync(change, cancellationToken);

        public Task<bool> CanRequestScanAsync(ArtifactRef artifact, string causeId, CancellationToken cancellationToken) =>
            inner.CanRequestScanAsync(artifact, causeId, cancellationToken);

        public Task<ArtifactStatus?> GetStatusAsync(ArtifactRef artifact, CancellationToken cancellationToken) => inner.GetStatusAsync(artifact, cancellationToken);

        public Task<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string digest, CancellationToken cancellationToken) => inner.GetDecisionsAsync(digest, cancellationToken);

        public Task<IReadOnlyList<ArtifactTransition>> GetTransitionsAsync(string digest, CancellationToken cancellationToken) =>
            inner.GetTransitionsAsync(digest, cancellationToken);

        public Task RecordChildrenAsync(ArtifactRef index, IReadOnlyList<string> childDigests, CancellationToken cancellationToken) =>
            inner.RecordChildrenAsync(index, childDigests, cancellationToken);

        public Task<IReadOnlyList<ArtifactRef>> GetParentsAsync(ArtifactRef child, CancellationToken cancellationToken) => inner.GetParentsAsync(child, cancellationToken);

        public Task<IReadOnlyList<string>> GetChildrenAsync(ArtifactRef index, CancellationToken cancellationToken) => inner.GetChildrenAsync(index, cancellationToken);

        public Task<IReadOnlyList<StaleScan>> FindStaleScansAsync(DateTimeOffset requestedBefore, int maxAttempts, int limit, CancellationToken cancellationToken) =>
            inner.FindStaleScansAsync(requestedBefore, maxAttempts, limit, cancellationToken);
    }

    [Fact]
    public async Task HeldScanFailed_RescannedAndDecidedOnceTheScannerWorks()
    {
        var failing = new HashSet<string>(StringComparer.Ordinal);
        await StartAsync(new()
        {
            Policy = "version: 1\ndefaults:\n  onScanFailure: hold\n",
            FailingScans = failing,
            Settings =
            {
                ["HarborBridge:Policy:ScanTimeout"] = "00:00:05",
                ["HarborBridge:Policy:SweepInterval"] = "00:00:01",
                ["HarborBridge:Policy:MaxScanAttempts"] = "3",
            },
        });
        lock (failing)
        {
            failing.Add($"{_host.Project}/flaky");
        }

        var (artifact, _) = await PushAsync("flaky");
        Assert.True(await ReachesAsync(artifact, ArtifactStates.ScanFailed), "the failed scan was not held");
        lock (failing)
        {
            failing.Clear(); // the scanner works again
        }

        Assert.True(await ReachesAsync(artifact, ArtifactStates.Approved), $"the held artifact was not scanned again ({await _host.StateAsync(artifact)})");
        var decision = Assert.Single(await Decisions.GetDecisionsAsync(artifact.Digest, default));
        Assert.Equal("Pass", decision.Verdict);
        var states = (await Decisions.GetTransitionsAsync(artifact.Digest, default)).Select(t => t.ToState).ToList();
        Assert.Equal([ArtifactStates.Scanning, ArtifactStates.ScanFailed, ArtifactStates.Scanning, ArtifactStates.Approved], states);
    }
}
