using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Persistence;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>
/// Two causes racing on one artifact. The life cycle decides each against the state it reads, and the state write
/// compares-and-sets that state, so however the race goes the outcome is one the rules allow for that order — never
/// both, never a lost update.
/// </summary>
public sealed class LifecycleRaceTests
{
    private const int Rounds = 100;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>On real PostgreSQL: a passing verdict and a confirmed scan failure (onScanFailure: quarantine) written at
    /// once, 100 times. Exactly one of them moves the artifact out of Scanning; the other is judged against the winner's
    /// state: a failure after a verdict is refused, a passing report after the failure's quarantine asks for a release.</summary>
    [Fact]
    public async Task VerdictAndScanFailureAtOnce_OnPostgres_OneWinsAndTheOtherFollowsTheRules()
    {
        var (services, cleanup) = await ArtifactStoreTests.CreateServicesAsync("Postgres");
        await using var _ = cleanup;
        var store = services.GetRequiredService<IDecisionStore>();
        var now = DateTimeOffset.UtcNow;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var round = 0; round < Rounds; round++)
        {
            var a = new ArtifactRef("race", "app", "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(round))));
            await store.ApplyAsync(new LifecycleChange(a, new ScanRequestedCause(), $"r{round}:scan", "scan requested", "test", now), default);
            var verdict = Decision(a, $"r{round}:verdict", "Pass", now);
            var failure = Decision(a, $"r{round}:failure", "Block", now);
            using var start = new ManualResetEventSlim();
            var tasks = new[]
            {
                Task.Run(async () => { start.Wait(); return await store.ApplyAsync(new LifecycleChange(a, new ScanVerdictCause(Verdict.Pass, true, now),
                    $"{verdict.DecisionId}:v", "pass", "policy", now, verdict, now), default); }),
                Task.Run(async () => { start.Wait(); return await store.ApplyAsync(new LifecycleChange(a, new ScanFailureCause(ScanFailureAction.Quarantine, true),
                    $"{failure.DecisionId}:f", "scan failed; onScanFailure: quarantine", "policy", now, failure), default); }),
            };
            start.Set();
            var results = await Task.WhenAll(tasks);

            var transitions = (await store.GetTransitionsAsync(a.Digest, default)).Where(t => t.FromState == ArtifactStates.Scanning).ToList();
            var moved = Assert.Single(transitions); // never both out of Scanning
            var state = (await store.GetStatusAsync(a, default))!.Value.State;
            if (moved.ToState == ArtifactStates.Approved)
            {
                Assert.Equal(ArtifactState.Approved, state);
                Assert.True(results[1].Refused, "a scan failure after the verdict must be refused");
                Assert.Single(await store.GetDecisionsAsync(a.Digest, default));
            }
            else
            {
                Assert.Equal(ArtifactStates.Quarantined, moved.ToState);
                Assert.Equal(ArtifactState.Quarantined, state); // the passing report asks for a release; the state stays until it is done
                Assert.True(results[0].Step.ReleaseRequested, "a newer passing report after the failure must ask for the release");
            }

            outcomes[moved.ToState] = outcomes.GetValueOrDefault(moved.ToState) + 1;
        }

        Assert.Equal(Rounds, outcomes.Values.Sum());
        // Both orders happened: the race was real, and each branch of the rules above was exercised (a fair race between
        // two equal transactions leaves one side unseen in 100 rounds with a probability of about 2^-99).
        Assert.True(outcomes.Count == 2, $"only one order was seen in {Rounds} rounds: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
    }

    private static DecisionRecord Decision(ArtifactRef a, string id, string verdict, DateTimeOffset at) =>
        new(id, a, "v1", verdict, true, "policy-1", "sha256:report", verdict == "Pass" ? "no finding" : "no scan report", "test", at, [], "{}");

    /// <summary>Through the consumers on RabbitMQ and PostgreSQL: ScanCompleted and a ScanFailed that Harbor does not confirm
    /// (its scan succeeded) delivered together for 100 artifacts, with onScanFailure: allow — the setting under which a
    /// stale failure used to sign an unjudged image. After the whole retry schedule every artifact is Approved on its report
    /// with one decision, and each refused failure raised one alert.</summary>
    [Fact]
    public async Task ScanCompletedAndUnconfirmedScanFailedTogether_HundredArtifacts_AllApprovedOnce()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hb-race-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var policyFile = Path.Combine(dir, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, "version: 1\ndefaults:\n  onScanFailure: allow\n");
        await using var session = await SimulatorSession.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry });
        await using var database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(database, session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        await using var factory = new HarborBridgeFactory(settings);
        using (var client = factory.CreateClient())
        {
            Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
        }

        var alerts = new List<OperatorAlertRaised>();
        var bus = factory.Services.GetRequiredService<IBus>();
        var probe = bus.ConnectReceiveEndpoint("race-probe-" + Guid.NewGuid().ToString("N")[..8], e =>
            e.Handler<OperatorAlertRaised>(c => { lock (alerts) { alerts.Add(c.Message); } return Task.CompletedTask; }));
        await probe.Ready;
        var store = factory.Services.GetRequiredService<IDecisionStore>();
        var now = DateTimeOffset.UtcNow;
        var artifacts = new List<ArtifactRef>();
        for (var i = 0; i < Rounds; i++)
        {
            var a = new ArtifactRef(session.Project, "race", "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            session.Simulator.State.AddScannedArtifact(a.Project, a.Repository, a.Digest, $"v{i}", now); // Harbor: scan Success, clean report
            await store.ApplyAsync(new LifecycleChange(a, new ScanRequestedCause(), $"push-{i}:scan", "scan requested", "test", now), default);
            artifacts.Add(a);
        }

        await Task.WhenAll(artifacts.SelectMany((a, i) => new[]
        {
            bus.Publish(new ScanCompleted($"completed-{i}", a, $"v{i}", "auto", now, null)),
            bus.Publish(new ScanFailed($"failed-{i}", a, $"v{i}", "Error", "auto", now)),
        }));

        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            foreach (var a in artifacts)
            {
                if ((await store.GetStatusAsync(a, default))?.State != ArtifactState.Approved)
                {
                    return false;
                }
            }

            return true;
        }, Patience), "not every artifact was approved");
        await Task.Delay(TimeSpan.FromSeconds(22)); // the message retry schedule (0.2 + 1 + 5 + 15 s) runs out
        await probe.StopAsync();

        foreach (var a in artifacts)
        {
            Assert.Equal(ArtifactState.Approved, (await store.GetStatusAsync(a, default))!.Value.State);
            var decision = Assert.Single(await store.GetDecisionsAsync(a.Digest, default));
            Assert.Equal("Pass", decision.Verdict);
            Assert.Equal([ArtifactStates.Scanning, ArtifactStates.Approved], (await store.GetTransitionsAsync(a.Digest, default)).Select(t => t.ToState));
            lock (alerts)
            {
                Assert.Single(alerts, x => x.Artifact == a);
            }
        }

        Directory.Delete(dir, recursive: true);
    }
}
