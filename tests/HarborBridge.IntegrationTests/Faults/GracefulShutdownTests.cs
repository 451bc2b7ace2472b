using System.Diagnostics;
using System.Globalization;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.LoadDriver;
using Xunit.Abstractions;

namespace HarborBridge.IntegrationTests.Faults;

/// <summary>
/// A rolling restart while Harbor is down: serve (its own process, RabbitMQ, PostgreSQL, the simulator) holds a burst
/// of scan requests that keep failing, sitting in their retry delays, and gets SIGTERM with the default settings. It
/// must exit 0 on its own well within Kubernetes' default 30 s grace period, give every message back to RabbitMQ (none
/// in an error queue, no operator alert), and once Harbor is back a new serve decides every artifact exactly once.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int Burst = 50;
    private const string ScanQueue = "request-scan";

    /// <summary>The default stop timeout is 15 s; 25 s leaves room for a loaded machine and is still under 30 s.</summary>
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(25);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task Serve_SigtermWhileBurstSitsInRetryDelays_Exits0PromptlyKeepsMessagesAndRestartDecidesEachOnce()
    {
        var node = RabbitMqNode.Shared();
        var vhost = await node.CreateVirtualHostAsync();
        var services = new RigServices(TestEnvironment.Require("HB_TEST_RABBITMQ_HOST"), node.Port, vhost,
            TestEnvironment.Require("HB_TEST_POSTGRES"), TestServices.Registry, TestEnvironment.Require("HB_TEST_WORK"));
        await using var rig = await PipelineRig.StartAsync(services, TimeSpan.FromMilliseconds(500), TestServices.Timeout(120));
        var first = await rig.StartServeAsync("webhook,worker,scheduler", TestServices.Timeout(120));

        // From now on Harbor's API fails every call; its registry still takes the pushes and the webhooks still go out.
        rig.Simulator.Faults.RegistryFaults = false;
        rig.Simulator.Faults.ServerErrorRate = 1;
        var pushing = Stopwatch.StartNew();
        var pushed = await rig.PushBurstAsync(ArtifactMix.Default.Spread(Burst), rate: 0, concurrency: 8, TestServices.Timeout(120));
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(AcceptedPushWebhooks(rig) >= Burst), TimeSpan.FromSeconds(60)),
            $"only {AcceptedPushWebhooks(rig)} of {Burst} push webhooks were accepted");
        pushing.Stop();
        // A scan request in hand fails its first attempt within about 1.5 s, then waits 0.2, 1, 5 and 15 s between
        // message attempts (about 21 s in all before it would give up): 3 s after the burst is in, the ones in hand
        // sit in a retry delay and none has given up yet (unless the burst itself took most of those 21 s).
        await Task.Delay(TimeSpan.FromSeconds(3));
        var before = await node.QueuesAsync(vhost);
        var held = before.GetValueOrDefault(ScanQueue).Unacknowledged;
        Assert.True(held > 0, "serve held no scan request when it was stopped, so the stop tested nothing");
        Assert.True(NonEmptyErrorQueues(before).Count == 0,
            $"messages gave up before the stop (the burst took {pushing.Elapsed}), so the stop cannot be judged: {string.Join(", ", NonEmptyErrorQueues(before))}");

        var clock = Stopwatch.StartNew();
        var exited = await first.TerminateAsync(TimeSpan.FromSeconds(60));
        clock.Stop();
        output.WriteLine($"burst of {Burst} in {pushing.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s; serve exited " +
            $"{clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s after SIGTERM, holding {held} scan request(s)");

        Assert.True(exited, $"serve was still running 60 s after SIGTERM; see {first.LogFile}");
        Assert.Equal(0, first.ExitCode);
        Assert.True(clock.Elapsed < ExitBound, $"serve took {clock.Elapsed} to exit after SIGTERM (bound {ExitBound}); see {first.LogFile}");
        var log = await File.ReadAllTextAsync(first.LogFile);
        Assert.DoesNotContain("did not finish", log, StringComparison.Ordinal);
        Assert.DoesNotContain("stopped unexpectedly", log, StringComparison.Ordinal);

        // Every scan request is back in its queue, ready for the next serve; nothing was given up on. On a loaded machine
        // the simulator, like Harbor, re-sends a push webhook it gave up waiting for (3 s), which can queue a second scan
        // request for one push: at least one per push, none held; the audit below proves each is decided once.
        IReadOnlyDictionary<string, (long Ready, long Unacknowledged)> queues = new Dictionary<string, (long, long)>();
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            queues = await node.QueuesAsync(vhost);
            var (ready, unacknowledged) = queues.GetValueOrDefault(ScanQueue);
            return ready >= Burst && unacknowledged == 0;
        }, TimeSpan.FromSeconds(15)), $"{ScanQueue} holds {queues.GetValueOrDefault(ScanQueue)} (ready, unacknowledged), expected at least ({Burst}, 0)");
        Assert.Empty(NonEmptyErrorQueues(queues));
        Assert.Equal(0, Alerts(rig, pushed));

        // Harbor is back: a new serve takes the burst from the queue and decides each artifact once.
        rig.Simulator.Faults.ServerErrorRate = 0;
        await rig.StartServeAsync("webhook,worker,scheduler", TestServices.Timeout(120));
        var problems = await rig.WaitForCleanAuditAsync(pushed, Patience, TimeSpan.FromSeconds(3), TestServices.Timeout((int)Patience.TotalSeconds + 60));
        Assert.True(problems.Count == 0, $"{problems.Count} problem(s):\n" + string.Join('\n', problems.Take(20)));
        Assert.Empty(PipelineAudit.Repeats(await rig.Audit.OutcomesAsync(pushed, TestServices.Timeout(60))));
        Assert.Equal(0, Alerts(rig, pushed));
    }

    /// <summary>Error queues that hold messages, as "name: (ready, unacknowledged)".</summary>
    private static List<string> NonEmptyErrorQueues(IReadOnlyDictionary<string, (long Ready, long Unacknowledged)> queues) =>
        [.. queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) && q.Value != (0, 0)).Select(q => $"{q.Key}: {q.Value}")];

    /// <summary>Push events serve accepted, each counted once: a delivery Harbor gave up waiting for (3 s) and sent again
    /// can be accepted twice.</summary>
    private static int AcceptedPushWebhooks(PipelineRig rig) =>
        rig.Simulator.State.Deliveries.Where(d => d.EventType == "PUSH_ARTIFACT" && d.StatusCode is >= 200 and < 300).Select(d => d.Body).Distinct(StringComparer.Ordinal).Count();

    private static int Alerts(PipelineRig rig, IEnumerable<PushedArtifact> pushed) =>
        pushed.Sum(a => rig.Watcher.For(a.Digest).Count(PipelineWatcher.Alert));
}
