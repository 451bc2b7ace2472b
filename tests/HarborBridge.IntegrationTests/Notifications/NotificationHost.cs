using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>The real <c>serve</c> host (in-memory transport, its own SQLite file) with a routing file and channels.</summary>
internal sealed class NotificationHost : IAsyncDisposable
{
    public const string HarborLink = "https://harbor.example.test/harbor/projects/{project}/repositories/{repository}/artifacts-tab/artifacts/{digest}";
    public const string BridgeUrl = "https://bridge.example.test";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-notify-" + Guid.NewGuid().ToString("N"));

    private NotificationHost()
    {
    }

    public HarborBridgeFactory Factory { get; private set; } = null!;

    public IBus Bus => Factory.Services.GetRequiredService<IBus>();

    public static Dictionary<string, string?> BaseSettings(string routingFile) => new()
    {
        ["HarborBridge:Logging:Console"] = "false",
        ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
        ["HarborBridge:Notifications:RoutingFile"] = routingFile,
        ["HarborBridge:Notifications:HarborArtifactUrl"] = HarborLink,
        ["HarborBridge:Notifications:PublicUrl"] = BridgeUrl,
        ["HarborBridge:Notifications:HttpAttemptTimeout"] = "00:00:02",
        ["HarborBridge:Notifications:HttpRetryBaseDelay"] = "00:00:00.050",
    };

    /// <param name="channels">Channel settings, keyed "name:Setting" (e.g. "web-slack:Url").</param>
    public static Task<NotificationHost> StartAsync(string routingYaml, IReadOnlyDictionary<string, string> channels,
        Action<IServiceCollection>? services = null, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var host = new NotificationHost();
        Directory.CreateDirectory(host._directory);
        var routingFile = Path.Combine(host._directory, "routing.yaml");
        File.WriteAllText(routingFile, routingYaml);
        var settings = BaseSettings(routingFile);
        settings["HarborBridge:Database:ConnectionString"] = $"Data Source={Path.Combine(host._directory, "hb.db")}";
        foreach (var (key, value) in channels)
        {
            settings[$"HarborBridge:Notifications:Channels:{key}"] = value;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        host.Factory = new HarborBridgeFactory(settings, services);
        host.Factory.CreateClient().Dispose(); // starts the host (and fails here on bad configuration)
        return Task.FromResult(host);
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
