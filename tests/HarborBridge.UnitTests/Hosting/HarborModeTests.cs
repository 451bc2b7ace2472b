using HarborBridge.Hosting;
using HarborBridge.Quarantine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>Harbor configured or not is decided once at start: without <c>HarborBridge:Harbor:Url</c> a worker records what
/// it is sent and registers nothing that needs Harbor (no scan, sign or quarantine consumer, no allowlist refresher).</summary>
public sealed class HarborModeTests
{
    private static IServiceCollection Services(string? harborUrl)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = harborUrl,
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddHarborBridge(configuration, ServerRoles.All);
        return services;
    }

    private static bool Has<T>(IServiceCollection services) => services.Any(d => d.ServiceType == typeof(T) || d.ImplementationType == typeof(T));

    [Fact]
    public void NoHarbor_RecordsButRegistersNothingThatNeedsHarbor()
    {
        var services = Services(null);

        Assert.True(Has<RecordArtifactPushedConsumer>(services));
        Assert.True(Has<RecordScanCompletedConsumer>(services));
        Assert.False(Has<RequestScanConsumer>(services));
        Assert.False(Has<EvaluateScanConsumer>(services));
        Assert.False(Has<ScanFailureConsumer>(services));
        Assert.False(Has<QuarantineArtifactConsumer>(services));
        Assert.False(Has<SignApprovedArtifactConsumer>(services));
        Assert.False(Has<PolicyAllowlistRefresher>(services));
    }

    [Fact]
    public void WithHarbor_RegistersTheWholePipeline()
    {
        var services = Services("https://harbor.example.com");

        Assert.True(Has<RecordArtifactPushedConsumer>(services));
        Assert.True(Has<RequestScanConsumer>(services));
        Assert.True(Has<EvaluateScanConsumer>(services));
        Assert.True(Has<ScanFailureConsumer>(services));
        Assert.True(Has<QuarantineArtifactConsumer>(services));
        Assert.True(Has<SignApprovedArtifactConsumer>(services));
        Assert.Contains(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PolicyAllowlistRefresher));
    }
}
