using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Scheduling;
using HarborBridge.Exceptions;
using HarborBridge.Notifications;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HarborBridge.UnitTests.Exceptions;

/// <summary>The request rules that need the routing file and the known artifacts (owners, approvers, teams), and expiry,
/// over real SQLite stores. Routing: team web owns project web (approver alice), team pay owns project pay (no approvers).</summary>
public sealed class ExceptionRequestServiceTests : IAsyncDisposable
{
    private static readonly ArtifactRef WebA = new("web", "api", "sha256:" + new string('a', 64));
    private static readonly ArtifactRef WebB = new("web", "api", "sha256:" + new string('b', 64));
    private static readonly ArtifactRef PayC = new("pay", "api", "sha256:" + new string('c', 64));

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero));
    private SqliteHarness? _h;

    private ExceptionRequestService Service => _h!.Get<ExceptionRequestService>();

    public async ValueTask DisposeAsync()
    {
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    private async Task StartAsync()
    {
        var dir = SqliteHarness.NewFolder("exr-service");
        File.WriteAllText(Path.Combine(dir, "policy.yaml"), "version: 1\nexceptionRequests: { maxDays: 10 }\n");
        File.WriteAllText(Path.Combine(dir, "routing.yaml"), "version: 1\nteams:\n" +
            "  - name: web\n    match: [{ project: web }]\n    channels: [a]\n    approvers: [alice]\n" +
            "  - name: pay\n    match: [{ project: pay }]\n    channels: [a]\n");
        _h = await SqliteHarness.StartAsync(dir, s => s
            .AddSingleton<TimeProvider>(_clock)
            .Configure<PolicyOptions>(o => o.File = Path.Combine(dir, "policy.yaml"))
            .Configure<NotificationOptions>(o =>
            {
                o.RoutingFile = Path.Combine(dir, "routing.yaml");
                o.Channels["a"] = new ChannelOptions();
            })
            .AddSingleton<PolicyProvider>()
            .AddSingleton<RoutingProvider>()
            .AddSingleton<IArtifactStore, SqlArtifactStore>()
            .AddSingleton<IScheduleStore, SqlScheduleStore>()
            .AddSingleton<IExceptionRequestStore, SqlExceptionRequestStore>()
            .AddSingleton<ExceptionRequestService>(), _ => { });
        var store = _h.Get<IArtifactStore>();
        foreach (var a in new[] { WebA, WebB, PayC })
        {
            await store.RecordEventAsync(new ArtifactEvent("push-" + a.Digest, "PUSH_ARTIFACT", a.Project, a.Repository, a.Digest, "v1", "ci", _clock.GetUtcNow(), null),
                new ArtifactObservation(a, "v1", "ci", _clock.GetUtcNow(), false), default);
        }
    }

    private Task<ExceptionRequestOutcome> RequestAsync(string project, string? repository = "api", string expires = "2026-12-10") =>
        Service.RequestAsync("CVE-2024-3094", project, repository, null, "not loaded", expires, "dave", _h!.Harness.Bus, default);

    private async Task<List<string>> HistoryAsync(ArtifactRef a) =>
        (await _h!.Get<IArtifactStore>().GetEventsAsync(a.Digest, default)).Where(e => e.EventType.StartsWith("EXCEPTION_", StringComparison.Ordinal))
            .Select(e => e.EventType).ToList();

    [Fact]
    public async Task Request_ScopeSpanningTwoTeams_400NamingBoth()
    {
        await StartAsync();

        var outcome = await RequestAsync("*");

        Assert.Equal(400, outcome.Status);
        Assert.Contains("project=* repository=api holds artifacts of ", outcome.Problem, StringComparison.Ordinal);
        Assert.Contains("web", outcome.Problem, StringComparison.Ordinal);
        Assert.Contains("pay", outcome.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_TeamWithoutApprovers_409AndNothingStored()
    {
        await StartAsync();

        var outcome = await RequestAsync("pay");

        Assert.Equal(409, outcome.Status);
        Assert.Contains("add \"approvers:\" to the owning team's route", outcome.Problem, StringComparison.Ordinal);
        Assert.Empty(await _h!.Get<IExceptionRequestStore>().ListAsync(null, 10, default));
        Assert.Empty(await HistoryAsync(PayC));
    }

    [Fact]
    public async Task Approve_ByOwnerOnly_ThenExpiresAfterItsLastDay_RequesterToldAndEveryStepInTheHistory()
    {
        await StartAsync();
        var created = await RequestAsync("web");
        Assert.Equal((201, 2), (created.Status, created.Affected)); // both web/api artifacts are in the scope
        var id = created.Request!.RequestId;

        var stranger = await Service.DecideAsync(id, true, "mallory", null, _h!.Harness.Bus, default);
        var approved = await Service.DecideAsync(id, true, "ALICE", "ok", _h.Harness.Bus, default);

        Assert.Equal(403, stranger.Status);
        Assert.Contains("mallory may not decide", stranger.Problem, StringComparison.Ordinal);
        Assert.Contains("owned by team web; may decide: alice.", stranger.Problem, StringComparison.Ordinal);
        Assert.Equal((200, ExceptionRequestStates.Approved, "ALICE"), (approved.Status, approved.Request!.State, approved.Request.DecidedBy));

        // The last day is 2026-12-10: still in force at 23:59 that day, lapsed at midnight.
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 10, 23, 59, 0, TimeSpan.Zero));
        Assert.Equal(0, await Service.ExpireLapsedAsync(_h.Harness.Bus, default));
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 11, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await Service.ExpireLapsedAsync(_h.Harness.Bus, default));
        Assert.Equal(0, await Service.ExpireLapsedAsync(_h.Harness.Bus, default)); // once

        Assert.Equal(ExceptionRequestStates.Expired, (await _h.Get<IExceptionRequestStore>().GetAsync(id, default))!.State);
        var states = _h.Harness.Published.Select<ExceptionRequestChanged>().Select(p => p.Context.Message.State).ToList();
        Assert.Equal([ExceptionRequestStates.Requested, ExceptionRequestStates.Approved, ExceptionRequestStates.Expired], states);
        Assert.Equal(["EXCEPTION_REQUESTED", "EXCEPTION_APPROVED", "EXCEPTION_EXPIRED"], await HistoryAsync(WebA));
        Assert.Equal(["EXCEPTION_REQUESTED", "EXCEPTION_APPROVED", "EXCEPTION_EXPIRED"], await HistoryAsync(WebB));
        Assert.Empty(await HistoryAsync(PayC));
    }
}
