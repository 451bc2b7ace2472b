using HarborBridge.Consumers;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace HarborBridge.UnitTests.Consumers;

public sealed class SignArtifactConsumerTests : IAsyncLifetime
{
    private static readonly ArtifactRef Artifact = new("payments", "team/api", "sha256:" + new string('a', 64));
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 19, 0, 0, TimeSpan.Zero);
    private readonly IArtifactSigner _signer = Substitute.For<IArtifactSigner>();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _signer.IsEnabled.Returns(true);
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(new FakeTimeProvider(Now))
            .AddSingleton(_signer)
            .AddScoped<SignArtifactService>()
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(3)); // the fault → alert chain needs more than 1 s on a loaded machine
                x.SetKebabCaseEndpointNameFormatter(); // queue names as serve has them
                x.AddConsumer<SignApprovedArtifactConsumer>();
                x.AddConsumer<SignWarnedArtifactConsumer>();
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
    public async Task Approved_SignedAndVerified_PublishesArtifactSignedWithSignatureAndKeyId()
    {
        _signer.SignAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("harbor.example.com/payments/team/api:sig", "key-hint", true));
        _signer.VerifyAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactSignatureCheck(true, "verified"));

        await _harness.Bus.Publish(new ArtifactApproved("decision-1", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>());
        var signed = _harness.Published.Select<ArtifactSigned>().Single().Context.Message;
        Assert.Equal(new ArtifactSigned("decision-1", Artifact, "harbor.example.com/payments/team/api:sig", "key-hint", Now), signed);
    }

    [Fact]
    public async Task Warned_IsSignedToo()
    {
        _signer.SignAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));
        _signer.VerifyAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactSignatureCheck(true, "verified"));

        await _harness.Bus.Publish(new ArtifactWarned("decision-2", Artifact, "v1", "policy-7", "sha256:report", [], Now));

        Assert.True(await _harness.Published.Any<ArtifactSigned>(m => m.Context.Message.DecisionId == "decision-2"));
    }

    [Fact]
    public async Task Approved_SignatureDoesNotVerifyAfterWriting_FaultsAndNeverPublishesSigned()
    {
        _signer.SignAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactSignature("ref", "key-hint", true));
        _signer.VerifyAsync(Artifact, Arg.Any<CancellationToken>()).Returns(new ArtifactSignatureCheck(false, "layer 0: the signature does not verify"));

        await _harness.Bus.Publish(new ArtifactApproved("decision-3", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<Fault<ArtifactApproved>>());
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
    }

    [Fact]
    public async Task Approved_RegistryOutage_FaultsAndNeverPublishesSigned()
    {
        _signer.SignAsync(Artifact, Arg.Any<CancellationToken>()).ThrowsAsync(new HttpRequestException("connection refused"));

        await _harness.Bus.Publish(new ArtifactApproved("decision-4", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<Fault<ArtifactApproved>>());
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
        await _signer.DidNotReceive().VerifyAsync(Arg.Any<ArtifactRef>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Approved_SigningDisabled_NothingSignedNothingPublished()
    {
        _signer.IsEnabled.Returns(false);

        await _harness.Bus.Publish(new ArtifactApproved("decision-5", Artifact, "v1", "policy-7", "sha256:report", Now));

        Assert.True(await _harness.Consumed.Any<ArtifactApproved>());
        Assert.False(await _harness.Published.Any<ArtifactSigned>());
        await _signer.DidNotReceive().SignAsync(Arg.Any<ArtifactRef>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Approved_FailedForGood_OneOperatorAlertNamingArtifactErrorQueueAndReplay()
    {
        // The harness has no retry: the first failure is final, as the last retry is in serve.
        _signer.SignAsync(Artifact, Arg.Any<CancellationToken>()).ThrowsAsync(new HttpRequestException("connection refused (registry down)"));

        await _harness.Bus.Publish(new ArtifactApproved("decision-9", Artifact, "v9", "policy-1", "sha256:report", Now));

        Assert.True(await _harness.Published.Any<OperatorAlertRaised>());
        var alert = Assert.Single(_harness.Published.Select<OperatorAlertRaised>()).Context.Message;
        Assert.Equal("messaging", alert.Source);
        Assert.Equal(Artifact, alert.Artifact);
        Assert.Equal(Now, alert.RaisedAt);
        Assert.StartsWith("poison:sign-approved-artifact:", alert.AlertKey, StringComparison.Ordinal);
        Assert.Contains("ArtifactApproved", alert.Summary, StringComparison.Ordinal);
        Assert.Contains("sign-approved-artifact_error", alert.Summary, StringComparison.Ordinal);
        Assert.Contains("connection refused (registry down)", alert.Detail, StringComparison.Ordinal);
        Assert.Contains("replay", alert.Detail, StringComparison.Ordinal);
    }
}
