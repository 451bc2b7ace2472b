using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.History;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace HarborBridge.UnitTests.History;

/// <summary>A DELETE_ARTIFACT is believed only when Harbor agrees: the artifact is gone, or Harbor has it from a push later
/// than the one HarborBridge recorded (deleted and pushed again); one still there from the recorded push makes the event a
/// forgery, whatever time the event claims.</summary>
public sealed class DeletionCheckTests
{
    private static readonly ArtifactRef Artifact = new("payments", "api", "sha256:" + new string('a', 64));
    private static readonly DateTimeOffset RecordedPush = new(2026, 12, 6, 1, 0, 10, TimeSpan.Zero);
    private readonly IHarborClient _harbor = Substitute.For<IHarborClient>();
    private int _recordReads;

    private Func<CancellationToken, Task<DateTimeOffset?>> Recorded(DateTimeOffset? pushedAt) => _ =>
    {
        _recordReads++;
        return Task.FromResult(pushedAt);
    };

    private Task<string?> CheckAsync(DateTimeOffset? pushedAt, bool present = true)
    {
        _harbor.GetArtifactAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(present ? new HarborArtifact(1, Artifact.Digest, "IMAGE", null, null, 1, pushedAt, ["v1"], [], [], [], true) : null);
        using var services = new ServiceCollection().AddSingleton(_harbor).BuildServiceProvider();
        return new HarborDeletionCheck(services).StillPresentAsync(Artifact, Recorded(RecordedPush), default);
    }

    [Fact]
    public async Task Gone_Believed_WithoutReadingTheRecord()
    {
        Assert.Null(await CheckAsync(null, present: false));
        Assert.Equal(0, _recordReads);
    }

    [Fact]
    public async Task StillThereFromTheRecordedPush_NotBelieved()
    {
        // Harbor's push_time has milliseconds, the recorded occur_at whole seconds: the same push reads up to 1 s later.
        Assert.Contains("still has the artifact", await CheckAsync(RecordedPush.AddMilliseconds(600)), StringComparison.Ordinal);
        Assert.NotNull(await CheckAsync(RecordedPush.AddSeconds(-30)));
    }

    [Fact]
    public async Task NoPushRecorded_StillThere_NotBelieved()
    {
        _harbor.GetArtifactAsync(Artifact.Project, Artifact.Repository, Artifact.Digest, Arg.Any<CancellationToken>())
            .Returns(new HarborArtifact(1, Artifact.Digest, "IMAGE", null, null, 1, RecordedPush, ["v1"], [], [], [], true));
        using var services = new ServiceCollection().AddSingleton(_harbor).BuildServiceProvider();
        Assert.NotNull(await new HarborDeletionCheck(services).StillPresentAsync(Artifact, Recorded(null), default));
    }

    [Fact]
    public async Task StillThereWithoutAPushTime_NotBelieved() => Assert.NotNull(await CheckAsync(null));

    [Fact]
    public async Task PushedAgainSinceTheRecordedPush_Believed()
    {
        Assert.Null(await CheckAsync(RecordedPush.AddSeconds(1)));
        Assert.Null(await CheckAsync(RecordedPush.AddMinutes(2)));
    }

    [Fact]
    public async Task RecordOnlyMode_TakesTheEventAsSent_WithoutReadingTheRecord()
    {
        Assert.Null(await new UncheckedDeletion().StillPresentAsync(Artifact, Recorded(RecordedPush), default));
        Assert.Equal(0, _recordReads);
    }
}
