using HarborBridge.Core.Harbor;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;

namespace HarborBridge.UnitTests.Consumers;

public sealed class ProjectAutoScanCacheTests
{
    private readonly IHarborClient _harbor = Substitute.For<IHarborClient>();

    [Fact]
    public async Task ScansOnPushAsync_ManyPushesToOneProject_AsksHarborOnce()
    {
        _harbor.GetProjectMetadataAsync("payments", Arg.Any<CancellationToken>())
            .Returns(new Dictionary<string, string> { ["auto_scan"] = "true", ["public"] = "false" });
        using var services = Services();
        var cache = services.GetRequiredService<ProjectAutoScanCache>();

        var answers = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await cache.ScansOnPushAsync("payments", CancellationToken.None));
        }

        Assert.All(answers, Assert.True);
        await _harbor.Received(1).GetProjectMetadataAsync("payments", Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task ScansOnPushAsync_TwoProjects_EachHasItsOwnAnswer()
    {
        _harbor.GetProjectMetadataAsync("payments", Arg.Any<CancellationToken>()).Returns(new Dictionary<string, string> { ["auto_scan"] = "true" });
        _harbor.GetProjectMetadataAsync("library", Arg.Any<CancellationToken>()).Returns(new Dictionary<string, string>());
        using var services = Services();
        var cache = services.GetRequiredService<ProjectAutoScanCache>();

        Assert.True(await cache.ScansOnPushAsync("payments", CancellationToken.None));
        Assert.False(await cache.ScansOnPushAsync("library", CancellationToken.None));
        Assert.False(await cache.ScansOnPushAsync("library", CancellationToken.None));

        await _harbor.Received(1).GetProjectMetadataAsync("payments", Arg.Any<CancellationToken>());
        await _harbor.Received(1).GetProjectMetadataAsync("library", Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task ScansOnPushAsync_HarborFails_RemembersNothing()
    {
        _harbor.GetProjectMetadataAsync("payments", Arg.Any<CancellationToken>())
            .Returns(_ => throw new HttpRequestException("503"), _ => new Dictionary<string, string> { ["auto_scan"] = "false" });
        using var services = Services();
        var cache = services.GetRequiredService<ProjectAutoScanCache>();

        await Assert.ThrowsAsync<HttpRequestException>(() => cache.ScansOnPushAsync("payments", CancellationToken.None));
        Assert.False(await cache.ScansOnPushAsync("payments", CancellationToken.None));

        await _harbor.Received(2).GetProjectMetadataAsync("payments", Arg.Any<CancellationToken>());
    }

    private ServiceProvider Services() => new ServiceCollection()
        .AddMemoryCache()
        .AddSingleton(_harbor)
        .AddSingleton<ProjectAutoScanCache>()
        .BuildServiceProvider();
}
