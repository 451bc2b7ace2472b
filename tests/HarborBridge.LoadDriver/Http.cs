using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.LoadDriver;

/// <summary>Plain HTTP clients for the driver's own calls (readiness polls, audits), from one factory.</summary>
internal static class Http
{
    private static readonly IHttpClientFactory Factory = new ServiceCollection()
        .AddHttpClient(Options.DefaultName)
        .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 64 })
        .Services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    public static HttpClient Client()
    {
        var client = Factory.CreateClient(Options.DefaultName);
        client.Timeout = TimeSpan.FromSeconds(30);
        return client;
    }
}
