using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Core.Signing;
using HarborBridge.Policy;
using HarborBridge.Quarantine;
using HarborBridge.Quarantine.Strategies;
using HarborBridge.UnitTests.Harbor;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace HarborBridge.UnitTests.Quarantine;

/// <summary>The <c>move</c> strategy's quarantine project: looked up once per process, created private with
/// prevent_vul when missing, a concurrent creation (409) is fine, and a refused creation (403) changes nothing at all.
/// The policy applies prevent-pull, unsign and move, so "nothing" includes the two strategies that come before move.</summary>
public sealed class QuarantineServiceTests : IDisposable
{
    private const string QuarantineProject = "hb-jail";
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 4, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hb-quarantine-unit-" + Guid.NewGuid().ToString("N"));
    private readonly IHarborClient _harbor = Substitute.For<IHarborClient>();
    private readonly IArtifactUnsigner _unsigner = Substitute.For<IArtifactUnsigner>();
    private readonly IQuarantineStore _store = Substitute.For<IQuarantineStore>();
    private readonly IDecisionStore _decisions = Substitute.For<IDecisionStore>();
    private readonly IPublishEndpoint _publisher = Substitute.For<IPublishEndpoint>();
    private readonly QuarantineProjects _projects = new(NullLogger<QuarantineProjects>.Instance);
    private readonly PolicyProvider _policy;

    public QuarantineServiceTests()
    {
        Directory.CreateDirectory(_dir);
        var policyFile = Path.Combine(_dir, "policy.yaml");
        File.WriteAllText(policyFile, $"version: 1\ndefaults:\n  quarantine:\n    strategies: [move, unsign, prevent-pull]\n    project: {QuarantineProject}\n");
        _policy = new PolicyProvider(Options.Create(new PolicyOptions { File = policyFile }), NullLogger<PolicyProvider>.Instance);

        _harbor.GetArtifactAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(c => new HarborArtifact(1, c.ArgAt<string>(2), "IMAGE", null, null, 100, Now, ["v1"], [], [], [], true));
        _harbor.GetProjectAsync("payments", Arg.Any<CancellationToken>())
            .Returns(new HarborProject(3, "payments", new Dictionary<string, string>(), null));
        _unsigner.RemoveOwnSignaturesAsync(Arg.Any<ArtifactRef>(), Arg.Any<CancellationToken>()).Returns(new SignatureRemoval(1, 0, 0));
        _store.GetStepsAsync(Arg.Any<ArtifactRef>(), Arg.Any<CancellationToken>()).Returns([]);
    }

    public void Dispose()
    {
        _projects.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private QuarantineService Service()
    {
        var time = new FakeTimeProvider(Now);
        IQuarantineStrategy[] strategies =
            [new PreventPullStrategy(_harbor, _store, time), new UnsignStrategy(_unsigner), new MoveStrategy(_harbor, _projects), new LabelStrategy(_harbor)];
        return new(_harbor, strategies, _store, _decisions, _policy, _projects, new QuarantineAlerts(time, NullLogger<QuarantineAlerts>.Instance),
            new HarborBridge.Hosting.PipelineMetrics(), time, NullLogger<QuarantineService>.Instance);
    }

    private static ArtifactBlocked Blocked(string digestChar) => new(
        "decision-" + digestChar, new ArtifactRef("payments", "api", "sha256:" + new string(digestChar[0], 64)), "v1", "sha256:policy", "sha256:report",
        "1 CRITICAL finding", [new DecidingFinding("CVE-2026-0001", "openssl", "1.0", "1.1", "Critical", null, "Block")], true, Now);

    private List<T> Published<T>() => _publisher.ReceivedCalls().Select(c => c.GetArguments()[0]).OfType<T>().ToList();

    /// <summary>The audited changes the service recorded (every state write goes through IDecisionStore.ApplyAsync).</summary>
    private List<LifecycleChange> Transitions() =>
        _decisions.ReceivedCalls().Select(c => c.GetArguments()[0]).OfType<LifecycleChange>().ToList();

    [Fact]
    public async Task Apply_QuarantineProjectMissing_CreatesItPrivateWithPreventVulBeforeCopying()
    {
        _harbor.GetProjectAsync(QuarantineProject, Arg.Any<CancellationToken>()).Returns((HarborProject?)null);
        _harbor.CreateProjectAsync(Arg.Any<NewHarborProject>(), Arg.Any<CancellationToken>()).Returns(true);
        var blocked = Blocked("a");

        await Service().ApplyAsync(blocked, _publisher, TestTimeout.Token());

        var created = (NewHarborProject)_harbor.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IHarborClient.CreateProjectAsync)).GetArguments()[0]!;
        Assert.Equal(QuarantineProject, created.Name);
        Assert.Equal("false", created.Metadata["public"]);
        Assert.Equal("true", created.Metadata["prevent_vul"]);
        Assert.Equal("none", created.Metadata["severity"]);
        Received.InOrder(() =>
        {
            _harbor.CreateProjectAsync(Arg.Any<NewHarborProject>(), Arg.Any<CancellationToken>());
            _harbor.CopyArtifactAsync(QuarantineProject, "payments/api", "payments", "api", blocked.Artifact.Digest, Arg.Any<CancellationToken>());
        });
        var quarantined = Assert.Single(Published<ArtifactQuarantined>());
        Assert.Equal(["prevent-pull", "unsign", "move"], quarantined.Strategies);
        Assert.Contains($"created the quarantine project {QuarantineProject}", Assert.Single(Transitions()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_QuarantineProjectExists_NotCreatedAndLookedUpOncePerProcess()
    {
        _harbor.GetProjectAsync(QuarantineProject, Arg.Any<CancellationToken>())
            .Returns(new HarborProject(9, QuarantineProject, new Dictionary<string, string> { ["public"] = "false", ["prevent_vul"] = "true" }, null));

        await Service().ApplyAsync(Blocked("a"), _publisher, TestTimeout.Token());
        await Service().ApplyAsync(Blocked("b"), _publisher, TestTimeout.Token()); // another scope, same process

        await _harbor.Received(1).GetProjectAsync(QuarantineProject, Arg.Any<CancellationToken>());
        await _harbor.DidNotReceiveWithAnyArgs().CreateProjectAsync(default!, default);
        await _harbor.Received(2).CopyArtifactAsync(QuarantineProject, "payments/api", "payments", "api", Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.Equal(2, Published<ArtifactQuarantined>().Count);
    }

    [Fact]
    public async Task Apply_AnotherReplicaCreatedItFirst_409CountsAsSuccess()
    {
        _harbor.GetProjectAsync(QuarantineProject, Arg.Any<CancellationToken>()).Returns((HarborProject?)null);
        _harbor.CreateProjectAsync(Arg.Any<NewHarborProject>(), Arg.Any<CancellationToken>()).Returns(false);

        await Service().ApplyAsync(Blocked("a"), _publisher, TestTimeout.Token());

        await _harbor.Received(1).CopyArtifactAsync(QuarantineProject, "payments/api", "payments", "api", Arg.Any<string>(), Arg.Any<CancellationToken>());
        Assert.Single(Published<ArtifactQuarantined>());
        Assert.Empty(Published<OperatorAlertRaised>());
        Assert.Contains("created meanwhile by another replica", Assert.Single(Transitions()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_CreationForbidden_AlertNamesProjectAndPermissionAndNothingIsApplied()
    {
        _harbor.GetProjectAsync(QuarantineProject, Arg.Any<CancellationToken>()).Returns((HarborProject?)null);
        _harbor.CreateProjectAsync(Arg.Any<NewHarborProject>(), Arg.Any<CancellationToken>())
            .ThrowsAsync(new HarborApiException("create project", 403, [new HarborError("FORBIDDEN", "forbidden")], "req-1"));

        await Service().ApplyAsync(Blocked("a"), _publisher, TestTimeout.Token());

        var alert = Assert.Single(Published<OperatorAlertRaised>());
        Assert.Equal("harbor-permission:project: create (system level)", alert.AlertKey);
        Assert.Contains($"'{QuarantineProject}'", alert.Summary, StringComparison.Ordinal);
        Assert.Contains("project: create", alert.Summary, StringComparison.Ordinal);
        Assert.Empty(Published<ArtifactQuarantined>());
        // prevent-pull and unsign come before move in the apply order: neither touched Harbor, nothing was recorded.
        await _harbor.DidNotReceiveWithAnyArgs().UpdateProjectAsync(default!, default!, default);
        await _unsigner.DidNotReceiveWithAnyArgs().RemoveOwnSignaturesAsync(default!, default);
        await _harbor.DidNotReceiveWithAnyArgs().CopyArtifactAsync(default!, default!, default!, default!, default!, default);
        await _store.DidNotReceiveWithAnyArgs().SaveStepAsync(default!, default);
        var transition = Assert.Single(Transitions());
        Assert.StartsWith("quarantine not applied; move not applied:", transition.Reason, StringComparison.Ordinal);
        Assert.Contains($"'{QuarantineProject}'", transition.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_CreationForbiddenThenGranted_TheRetryCreatesIt()
    {
        _harbor.GetProjectAsync(QuarantineProject, Arg.Any<CancellationToken>()).Returns((HarborProject?)null);
        _harbor.CreateProjectAsync(Arg.Any<NewHarborProject>(), Arg.Any<CancellationToken>()).Returns(
            _ => throw new HarborApiException("create project", 403, [], null),
            _ => true);
        var blocked = Blocked("a");

        await Service().ApplyAsync(blocked, _publisher, TestTimeout.Token());
        await Service().ApplyAsync(blocked, _publisher, TestTimeout.Token());

        await _harbor.Received(2).CreateProjectAsync(Arg.Any<NewHarborProject>(), Arg.Any<CancellationToken>());
        await _harbor.Received(1).CopyArtifactAsync(QuarantineProject, "payments/api", "payments", "api", blocked.Artifact.Digest, Arg.Any<CancellationToken>());
        Assert.Single(Published<ArtifactQuarantined>());
    }

    [Fact]
    public async Task Apply_UnsignRemovedBundleReferrers_RecordedWithTheStepAndNamedInTheTransition()
    {
        File.WriteAllText(Path.Combine(_dir, "policy.yaml"), "version: 1\ndefaults:\n  quarantine:\n    strategies: [unsign]\n");
        _unsigner.RemoveOwnSignaturesAsync(Arg.Any<ArtifactRef>(), Arg.Any<CancellationToken>()).Returns(new SignatureRemoval(1, 1, 1, 2));

        await Service().ApplyAsync(Blocked("a"), _publisher, TestTimeout.Token());

        var step = (QuarantineStep)_store.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IQuarantineStore.SaveStepAsync)).GetArguments()[0]!;
        Assert.Equal("unsign", step.Strategy);
        Assert.Equal(new UnsignPrior(1, 1, 2), System.Text.Json.JsonSerializer.Deserialize<UnsignPrior>(step.PriorJson, HarborBridge.Persistence.SqlQuarantineStore.Json));
        Assert.Contains("2 Sigstore bundle referrer(s)", Assert.Single(Transitions()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsignPrior_RecordedBeforeBundlesWereRemoved_ReadsAsNoBundles() =>
        Assert.Equal(new UnsignPrior(2, 1, 0),
            System.Text.Json.JsonSerializer.Deserialize<UnsignPrior>("""{"signaturesRemoved":2,"attestationsRemoved":1}""", HarborBridge.Persistence.SqlQuarantineStore.Json));

    private static readonly DateTimeOffset PriorExpiry = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // A policy file written with its own time stamp, so that the provider reads it again.
    private void Policy(string yaml, int minute)
    {
        var file = Path.Combine(_dir, "policy.yaml");
        File.WriteAllText(file, yaml);
        File.SetLastWriteTimeUtc(file, new DateTime(2026, 11, 28, 4, minute, 0, DateTimeKind.Utc));
    }

    private const string WithException = "version: 1\nexceptions:\n  - id: CVE-2026-1111\n    expires: 2099-12-31\n    reason: not reachable\n";

    /// <summary>Project "payments" has prevent-pull in force; before the quarantine its list was CVE-2000-0001 until 2030.</summary>
    private void PaymentsQuarantined(params string[] listNow)
    {
        _store.ListPriorProjectsAsync(Arg.Any<CancellationToken>()).Returns(["payments"]);
        _store.GetProjectPriorAsync("payments", Arg.Any<CancellationToken>())
            .Returns(new ProjectSettingsPrior(null, null, new HarborCveAllowlist(3, PriorExpiry, ["CVE-2000-0001"])));
        _harbor.GetProjectAsync("payments", Arg.Any<CancellationToken>())
            .Returns(new HarborProject(3, "payments", new Dictionary<string, string> { ["prevent_vul"] = "true" }, new HarborCveAllowlist(3, PriorExpiry, listNow)));
    }

    private HarborProjectUpdate WrittenUpdate() =>
        (HarborProjectUpdate)Assert.Single(_harbor.ReceivedCalls(), c => c.GetMethodInfo().Name == nameof(IHarborClient.UpdateProjectAsync)).GetArguments()[1]!;

    [Fact]
    public async Task RefreshAllowlists_ExceptionGrantedSinceTheQuarantine_WrittenNextToThePriorList()
    {
        Policy(WithException, 1);
        PaymentsQuarantined("CVE-2000-0001");

        Assert.Equal(["payments"], await Service().RefreshAllowlistsAsync(TestTimeout.Token()));

        var update = WrittenUpdate();
        Assert.Null(update.Metadata); // prevent_vul and severity stay as they are
        Assert.Equal(["CVE-2000-0001", "CVE-2026-1111"], update.CveAllowlist!.CveIds);
        Assert.Equal(PriorExpiry, update.CveAllowlist.ExpiresAt); // the earlier of 2030-01-01 and the exception's end (2100-01-01)
    }

    [Fact]
    public async Task RefreshAllowlists_ExceptionRemovedFromThePolicy_ThePriorListIsPutBack()
    {
        Policy("version: 1\n", 1);
        PaymentsQuarantined("CVE-2000-0001", "CVE-2026-1111");

        await Service().RefreshAllowlistsAsync(TestTimeout.Token());

        Assert.Equal(["CVE-2000-0001"], WrittenUpdate().CveAllowlist!.CveIds);
    }

    [Fact]
    public async Task RefreshAllowlists_ListIsRightAlready_NothingWritten()
    {
        Policy(WithException, 1);
        PaymentsQuarantined("CVE-2026-1111", "CVE-2000-0001");

        Assert.Empty(await Service().RefreshAllowlistsAsync(TestTimeout.Token()));
        await _harbor.DidNotReceiveWithAnyArgs().UpdateProjectAsync(default!, default!, default);
    }

    [Fact]
    public async Task Refresher_PolicyUnchangedThenEdited_RefreshesOnlyForANewVersion()
    {
        Policy("version: 1\n", 1);
        PaymentsQuarantined("CVE-2000-0001");
        var services = new ServiceCollection().AddScoped(_ => Service()).BuildServiceProvider();
        await using var _ = services;
        var refresher = new PolicyAllowlistRefresher(services.GetRequiredService<IServiceScopeFactory>(), _policy,
            new FakeTimeProvider(Now), NullLogger<PolicyAllowlistRefresher>.Instance);

        await refresher.CheckAsync(TestTimeout.Token()); // first round after the start: looks, the list is right
        await refresher.CheckAsync(TestTimeout.Token()); // same policy version: does not look again
        await _harbor.Received(1).GetProjectAsync("payments", Arg.Any<CancellationToken>());
        await _harbor.DidNotReceiveWithAnyArgs().UpdateProjectAsync(default!, default!, default);

        Policy(WithException, 2);
        await refresher.CheckAsync(TestTimeout.Token());

        await _harbor.Received(2).GetProjectAsync("payments", Arg.Any<CancellationToken>());
        Assert.Equal(["CVE-2000-0001", "CVE-2026-1111"], WrittenUpdate().CveAllowlist!.CveIds);
    }

    [Fact]
    public async Task RefreshAllowlists_ReleasedWhileWriting_ThePriorListIsPutBackAgain()
    {
        Policy(WithException, 1);
        PaymentsQuarantined("CVE-2000-0001");
        var prior = new ProjectSettingsPrior(null, null, new HarborCveAllowlist(3, PriorExpiry, ["CVE-2000-0001"]));
        _store.GetProjectPriorAsync("payments", Arg.Any<CancellationToken>()).Returns(prior, (ProjectSettingsPrior?)null); // the release deleted it meanwhile

        Assert.Empty(await Service().RefreshAllowlistsAsync(TestTimeout.Token()));

        var writes = _harbor.ReceivedCalls().Where(c => c.GetMethodInfo().Name == nameof(IHarborClient.UpdateProjectAsync))
            .Select(c => ((HarborProjectUpdate)c.GetArguments()[1]!).CveAllowlist!.CveIds).ToList();
        Assert.Equal(2, writes.Count);
        Assert.Equal(["CVE-2000-0001"], writes[^1]);
    }

    /// <summary>The end of WithException's last day (2099-12-31).</summary>
    private static readonly DateTimeOffset ExceptionEnd = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Project "payments" reused the system list before the quarantine (no reuse_sys_cve_allowlist key).</summary>
    private void PaymentsReusedTheSystemList(IReadOnlyDictionary<string, string> metadataNow, params string[] listNow)
    {
        _store.ListPriorProjectsAsync(Arg.Any<CancellationToken>()).Returns(["payments"]);
        _store.GetProjectPriorAsync("payments", Arg.Any<CancellationToken>())
            .Returns(new ProjectSettingsPrior(null, null, new HarborCveAllowlist(3, null, ["CVE-2000-0001"]), new ReuseSystemAllowlist(null)));
        _harbor.GetProjectAsync("payments", Arg.Any<CancellationToken>())
            .Returns(new HarborProject(3, "payments", metadataNow, new HarborCveAllowlist(3, ExceptionEnd, listNow)));
        _harbor.GetSystemCveAllowlistAsync(Arg.Any<CancellationToken>()).Returns(new HarborCveAllowlist(0, null, ["CVE-1999-0001"]));
    }

    [Fact]
    public async Task RefreshAllowlists_ProjectReusedTheSystemList_SystemListAndExceptionWrittenWithReuseFalse()
    {
        Policy(WithException, 1);
        PaymentsReusedTheSystemList(new Dictionary<string, string> { ["prevent_vul"] = "true" }, "CVE-2000-0001");

        Assert.Equal(["payments"], await Service().RefreshAllowlistsAsync(TestTimeout.Token()));

        var update = WrittenUpdate();
        Assert.Equal(["CVE-1999-0001", "CVE-2026-1111"], update.CveAllowlist!.CveIds);
        Assert.Equal(new Dictionary<string, string> { ["reuse_sys_cve_allowlist"] = "false" }, update.Metadata);
    }

    [Fact]
    public async Task RefreshAllowlists_LastExceptionRemoved_KeyDeletedAgainAndTheOwnListBack()
    {
        Policy("version: 1\n", 1);
        PaymentsReusedTheSystemList(new Dictionary<string, string> { ["prevent_vul"] = "true", ["reuse_sys_cve_allowlist"] = "false" }, "CVE-1999-0001", "CVE-2026-1111");

        await Service().RefreshAllowlistsAsync(TestTimeout.Token());

        await _harbor.Received(1).DeleteProjectMetadataAsync("payments", "reuse_sys_cve_allowlist", Arg.Any<CancellationToken>());
        Assert.Equal(["CVE-2000-0001"], WrittenUpdate().CveAllowlist!.CveIds);
    }

    [Fact]
    public async Task Refresher_SystemListChangedUnderAReusingProject_RefreshesAgain()
    {
        Policy(WithException, 1);
        PaymentsReusedTheSystemList(new Dictionary<string, string> { ["prevent_vul"] = "true", ["reuse_sys_cve_allowlist"] = "false" }, "CVE-1999-0001", "CVE-2026-1111");
        var services = new ServiceCollection().AddScoped(_ => Service()).BuildServiceProvider();
        await using var _ = services;
        var refresher = new PolicyAllowlistRefresher(services.GetRequiredService<IServiceScopeFactory>(), _policy,
            new FakeTimeProvider(Now), NullLogger<PolicyAllowlistRefresher>.Instance);
        await refresher.CheckAsync(TestTimeout.Token());
        await refresher.CheckAsync(TestTimeout.Token());
        await _harbor.DidNotReceiveWithAnyArgs().UpdateProjectAsync(default!, default!, default);

        _harbor.GetSystemCveAllowlistAsync(Arg.Any<CancellationToken>()).Returns(new HarborCveAllowlist(0, null, ["CVE-1999-0001", "CVE-1999-0002"]));
        await refresher.CheckAsync(TestTimeout.Token());

        Assert.Equal(["CVE-1999-0001", "CVE-1999-0002", "CVE-2026-1111"], WrittenUpdate().CveAllowlist!.CveIds);
    }
}
