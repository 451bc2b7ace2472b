using HarborBridge.Core.Artifacts;
using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Signing.Registry;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;

namespace HarborBridge.UnitTests.Consumers;

public sealed class SignArtifactConsumerTests : IAsyncLifetime
{
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('a', 64));
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 19, 0, 0, TimeSpan.Zero);
    private const int Retries = 2;
    private readonly IArtifactSigner _signer = Substitute.For<IArtifactSigner>();
    private readonly IHarborClient _harbor = Substitute.For<IHarborClient>();
    private readonly IDecisionStore _decisions = Substitute.For<IDecisionStore>();
    private readonly IArtifactStore _artifacts = Substitute.For<IArtifactStore>();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _signer.IsEnabled.Returns(true);
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(new FakeTimeProvider(Now))
            .AddSingleton(_signer)
            .AddSingleton(_harbor)
            .AddSingleton(_decisions)
            .AddSingleton(_artifacts)
            .AddSingleton<HarborBridge.Hosting.PipelineMetrics>()
            .Configure<HarborOptions>(o => o.Url = "https://harbor.example.com")
            .Configure<SigningOptions>(_ => { })
            .AddScoped<ScanEvidenceSource>()
            .AddScoped<SignArtifactService>()
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(3)); // the fault → alert chain needs more than 1 s on a loaded machine
                x.SetKebabCaseEndpointNameFormatter(); // queue names as serve has them
                x.AddConsumer<SignApprovedArtifactConsumer>();
                x.AddConsumer<SignWarnedArtifactConsumer>();
                x.AddConsumer<SigningFailedApprovedAlertConsumer>();
                x.AddConsumer<SigningFailedWarnedAlertConsumer>();
                x.AddConfigureEndpointsCallback((context, _, endpoint) =>
                {
                    // As in the service: retries, and nothing published when Consume throws.
                    endpoint.UseMessageRetry(r => r.Immediate(Retries));
                    endpoint.UseInMemoryOutbox(context);
                });
                x.AddConsumer<PoisonMessageAlertConsumer>();
            })
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task Approved_Signed_PublishesArtifactSignedWithSignatureAndKeyId()
    {
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>())
            .Returns(new ArtifactSignature("harbor.example.com/payments/team/api:sig", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactApproved("decision-1", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>());
        var signed = _harness.Published.Select<ArtifactSigned>().Single().Context.Message;
        Assert.Equal(new ArtifactSigned("decision-1", Artifact, "harbor.example.com/payments/team/api:sig", "key-hint", Now), signed);
        await _signer.Received(1).SignAsync(Artifact, new SigningDecision("decision-1", "pass", "policy-7", "sha256:report", Now), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Approved_SignedInBothFormats_RecordsEachSignatureManifestOnceForTheApi()
    {
        var sig = "sha256:" + new string('b', 64);
        var bundle = "sha256:" + new string('c', 64);
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>())
            .Returns(new ArtifactSignature("ref", "key-hint", true, [new WrittenSignature("legacy", sig), new WrittenSignature("bundle", bundle)]));

        await _harness.Bus.Publish(new ArtifactApproved("decision-1", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>());
        var recorded = _artifacts.ReceivedCalls().Where(c => c.GetMethodInfo().Name == nameof(IArtifactStore.RecordEventAsync))
            .Select(c => (ArtifactEvent)c.GetArguments()[0]!).ToList();
        Assert.Equal(2, recorded.Count);
        Assert.Equal(2, recorded.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(
            [new SignatureView("payments", "team/api", "legacy", sig, "key-hint", "decision-1", Now), new SignatureView("payments", "team/api", "bundle", bundle, "key-hint", "decision-1", Now)],
            SignatureRecords.From(recorded));
        Assert.All(recorded, e => Assert.Equal(Artifact.Digest, e.Digest));
    }

    [Theory]
    [InlineData(ArtifactState.Quarantined)]
    [InlineData(ArtifactState.Deleted)]
    [InlineData(ArtifactState.Scanning)]
    public async Task Approved_ButTheArtifactMovedOnSince_NotSigned(ArtifactState now)
    {
        // A redelivered or reordered approval: a newer decision quarantined the artifact (or it was deleted, or is being
        // scanned again) since this one was made.
        _decisions.GetStatusAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactStatus(now));

        await _harness.Bus.Publish(new ArtifactApproved("decision-old", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Consumed.Any<ArtifactApproved>());
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
        await _signer.DidNotReceiveWithAnyArgs().SignAsync(default!, default!, default);
    }

    [Fact]
    public async Task ApprovedAfterARelease_SignedAsReleased_ReleaseCompletedToApproved()
    {
        _decisions.GetStatusAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactStatus(ArtifactState.Released));
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactApproved("release-1", Artifact, null, "policy-7", "sha256:report", Now, null, "Released"));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "release-1"));
        await _signer.Received(1).SignAsync(Artifact, Arg.Is<SigningDecision>(d => d.Verdict == "Released"), Arg.Any<CancellationToken>());
        await _decisions.Received(1).ApplyAsync(Arg.Is<LifecycleChange>(c => c.Cause is SignedAfterReleaseCause && c.Artifact == Artifact), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Warned_IsSignedWithVerdictWarn()
    {
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactWarned("decision-2", Artifact, "v1", "policy-7", "sha256:report", [], Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-2"));
        await _signer.Received(1).SignAsync(Artifact, new SigningDecision("decision-2", "warn", "policy-7", "sha256:report", Now), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Approved_ReportStillInHarbor_SignerGetsExceptionsAndTheReportDecidedOn()
    {
        const string report = """{"scanner":{"name":"Trivy","vendor":"Aqua Security","version":"v0.65.0"},"vulnerabilities":[]}""";
        var reportDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(report)));
        _harbor.GetVulnerabilityReportAsync("payments", "team/api", Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborVulnerabilityReport(HarborReportMimeTypes.Vulnerability11, report));
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));
        AppliedException[] exceptions = [new("CVE-2013-7445", "CVE-2013-7445", null)];

        await _harness.Bus.Publish(new ArtifactApproved("decision-7", Artifact, "v1", "policy-7", reportDigest, Now, exceptions));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-7"));
        var decision = (SigningDecision)_signer.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IArtifactSigner.SignAsync)).GetArguments()[1]!;
        Assert.Equal(exceptions, decision.ExceptionsUsed);
        Assert.NotNull(decision.Scan);
        Assert.Equal(report, decision.Scan.ReportJson);
        Assert.Equal("v0.65.0", decision.Scan.ScannerVersion);
        Assert.Equal("https://harbor.example.com/api/v2.0/projects/payments/repositories/team%252Fapi/artifacts/" + Artifact.Digest + "/additions/vulnerabilities",
            decision.Scan.Source);
    }

    [Fact]
    public async Task Approved_CarriesTheReportDecidedOn_AttestedWithoutAnyHarborRequest()
    {
        const string report = """{"scanner":{"name":"Trivy","vendor":"Aqua Security","version":"v0.65.0"},"generated_at":"2026-11-27T18:59:00Z","vulnerabilities":[]}""";
        var reportDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(report)));
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactApproved("decision-carried", Artifact, "v1", "policy-7", reportDigest, Now,
            Report: new DecidedReport(HarborReportMimeTypes.Vulnerability11, report)));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-carried"));
        var decision = (SigningDecision)_signer.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IArtifactSigner.SignAsync)).GetArguments()[1]!;
        Assert.NotNull(decision.Scan);
        Assert.Equal(report, decision.Scan.ReportJson);
        Assert.Equal(HarborReportMimeTypes.Vulnerability11, decision.Scan.ReportMimeType);
        // No scan overview travels with the report: the scan times are the report's generation time.
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 18, 59, 0, TimeSpan.Zero), decision.Scan.FinishedOn);
        Assert.Empty(_harbor.ReceivedCalls());
    }

    [Fact]
    public async Task Warned_CarriesAnotherReportThanTheOneDecidedOn_ReadFromHarborInstead()
    {
        const string decided = """{"scanner":{"name":"Trivy","vendor":"Aqua Security","version":"v0.65.0"},"vulnerabilities":[]}""";
        const string other = """{"scanner":{"name":"Trivy","vendor":"Aqua Security","version":"v0.64.0"},"vulnerabilities":[]}""";
        var reportDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(decided)));
        _harbor.GetVulnerabilityReportAsync("payments", "team/api", Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborVulnerabilityReport(HarborReportMimeTypes.Vulnerability11, decided));
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactWarned("decision-other", Artifact, "v1", "policy-7", reportDigest, [], Now,
            Report: new DecidedReport(HarborReportMimeTypes.Vulnerability11, other)));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-other"));
        var decision = (SigningDecision)_signer.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IArtifactSigner.SignAsync)).GetArguments()[1]!;
        Assert.Equal(decided, decision.Scan?.ReportJson);
        await _harbor.Received(1).GetVulnerabilityReportAsync("payments", "team/api", Artifact.Digest, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Approved_HarborNoLongerKnowsTheArtifact_SignedWithoutReportNotRetriedForever()
    {
        _harbor.GetVulnerabilityReportAsync("payments", "team/api", Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns<HarborVulnerabilityReport?>(_ => throw new HarborApiException("get vulnerability report", 404, [], "req-1"));
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactApproved("decision-404", Artifact, "v1", "policy-7", "sha256:" + new string('c', 64), Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-404"));
        var decision = (SigningDecision)_signer.ReceivedCalls().Single(c => c.GetMethodInfo().Name == nameof(IArtifactSigner.SignAsync)).GetArguments()[1]!;
        Assert.Null(decision.Scan);
        Assert.False(await _harness.Published.Any<Fault<ArtifactApproved>>());
    }

    [Fact]
    public async Task Approved_KeylessMode_NoReportReadFromHarbor()
    {
        _provider.GetRequiredService<IOptions<SigningOptions>>().Value.Mode = SigningMode.Keyless;
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));

        await _harness.Bus.Publish(new ArtifactApproved("decision-keyless", Artifact, "v1", "policy-7", "sha256:" + new string('c', 64), Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-keyless"));
        await _harbor.DidNotReceiveWithAnyArgs().GetVulnerabilityReportAsync(default!, default!, default!, default);
    }

    [Fact]
    public async Task Approved_WrittenSignatureDoesNotVerify_FaultsAndNeverPublishesSigned()
    {
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>())
            .ThrowsAsync(new InvalidOperationException("layer 0: the signature does not verify"));

        await _harness.Bus.Publish(new ArtifactApproved("decision-3", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<Fault<ArtifactApproved>>());
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
    }

    [Fact]
    public async Task Approved_KeyOutage_RetriesThenRaisesSigningAlertAndNeverPublishesSigned()
    {
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>())
            .ThrowsAsync(new IOException("key file /keys/cosign.key: no such file"));

        await _harness.Bus.Publish(new ArtifactApproved("decision-4", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<OperatorAlertRaised>());
        var alert = _harness.Published.Select<OperatorAlertRaised>().Single().Context.Message;
        Assert.Equal("signing", alert.Source);
        Assert.Equal(Artifact, alert.Artifact);
        Assert.Equal(Now, alert.RaisedAt);
        Assert.Contains("no such file", alert.Detail, StringComparison.Ordinal);
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
        await _signer.Received(1 + Retries).SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Warned_RegistryOutage_RaisesSigningAlertWithStableKey()
    {
        _signer.SignAsync(Artifact, Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>())
            .ThrowsAsync(new HttpRequestException("connection refused"));

        await _harness.Bus.Publish(new ArtifactWarned("decision-5", Artifact, "v1", "policy-7", "sha256:report", [], Now));

        Assert.True(await _harness.Published.Any<OperatorAlertRaised>());
        var alert = _harness.Published.Select<OperatorAlertRaised>().Single().Context.Message;
        Assert.Equal("signing-failed:payments/team/api@" + Artifact.Digest, alert.AlertKey);
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
    }

    [Fact]
    public async Task Approved_SigningDisabled_NothingSignedNothingPublished()
    {
        _signer.IsEnabled.Returns(false);

        await _harness.Bus.Publish(new ArtifactApproved("decision-6", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Consumed.Any<ArtifactApproved>());
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
        Assert.False(await _harness.Published.Any<OperatorAlertRaised>());
        await _signer.DidNotReceive().SignAsync(Arg.Any<ArtifactRef>(), Arg.Any<SigningDecision>(), Arg.Any<CancellationToken>());
    }
}
