using HarborBridge.Core.Harbor;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Api;
using HarborBridge.Harbor.Oci;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.UnitTests.Harbor;

/// <summary>The real AddHarborClients registration (resilience, auth, options) with a stub as the network.</summary>
internal sealed class HarborTestServices : IDisposable
{
    public const string Url = "https://harbor.test";
    public const string Username = "robot$payments+harborbridge";
    public const string Password = "s3cret-Robot";

    private readonly ServiceProvider _provider;

    public HarborTestServices(StubHttpHandler stub, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = Url,
            ["HarborBridge:Harbor:Username"] = Username,
            ["HarborBridge:Harbor:Password"] = Password,
            ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.010",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHarborClients(configuration);
        foreach (var name in new[] { HarborClient.HttpClientName, OciRegistryClient.HttpClientName, RegistryAuthHandler.TokenHttpClientName })
        {
            services.AddHttpClient(name).ConfigurePrimaryHttpMessageHandler(() => stub);
        }

        _provider = services.BuildServiceProvider(validateScopes: true);
    }

    public IHarborClient Harbor => _provider.GetRequiredService<IHarborClient>();

    public IOciRegistryClient Registry => _provider.GetRequiredService<IOciRegistryClient>();

    public IHarborAccessClient Access => _provider.GetRequiredService<IHarborAccessClient>();

    public void Dispose() => _provider.Dispose();
}
