using HarborBridge.Core.Artifacts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>The real <c>serve</c> host in-process, configured by a settings dictionary (the same keys an
/// admin sets in appsettings.json or the environment).</summary>
internal sealed class HarborBridgeFactory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public const string AuthHeader = "Basic aGFyYm9yOnRlc3Qtd2ViaG9vay1zZWNyZXQ=";

    public IArtifactStore Store => Services.GetRequiredService<IArtifactStore>();

    /// <summary>Settings for RabbitMQ (an isolated vhost) and PostgreSQL (a fresh database).</summary>
    public static Dictionary<string, string?> RealServices(RabbitMqNode node, string vhost, PostgresDatabase database) => new()
    {
        ["HarborBridge:Transport"] = "RabbitMq",
        ["HarborBridge:RabbitMq:Host"] = "127.0.0.1",
        ["HarborBridge:RabbitMq:Port"] = node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["HarborBridge:RabbitMq:VirtualHost"] = vhost,
        ["HarborBridge:Database:Provider"] = "Postgres",
        ["HarborBridge:Database:ConnectionString"] = database.ConnectionString,
        ["HarborBridge:Webhook:AuthHeader"] = AuthHeader,
        ["HarborBridge:Logging:Console"] = "false",
        // Hosts of parallel tests share the process: each test's hosts get their own Quartz scheduler (hosts built from the
        // same settings still form one cluster).
        ["HarborBridge:Schedules:ClusterName"] = "hb-test-" + Guid.NewGuid().ToString("N")[..12],
    };

    /// <summary>Real RabbitMQ (a fresh vhost on the shared node) and PostgreSQL, with Harbor at <paramref name="harborUrl"/>
    /// (the simulator) and the policy file given.</summary>
    public static async Task<Dictionary<string, string?>> PipelineAsync(PostgresDatabase database, Uri harborUrl, string user, string password, string policyFile)
    {
        var node = RabbitMqNode.Shared();
        var settings = RealServices(node, await node.CreateVirtualHostAsync(), database);
        settings["HarborBridge:Harbor:Url"] = harborUrl.ToString();
        settings["HarborBridge:Harbor:Username"] = user;
        settings["HarborBridge:Harbor:Password"] = password;
        settings["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.050";
        settings["HarborBridge:Policy:File"] = policyFile;
        return settings;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // A host without a cluster name of its own (embedded SQLite: nothing to cluster with) gets one for itself.
        builder.UseSetting("HarborBridge:Schedules:ClusterName", "hb-test-" + Guid.NewGuid().ToString("N")[..12]);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }
}
