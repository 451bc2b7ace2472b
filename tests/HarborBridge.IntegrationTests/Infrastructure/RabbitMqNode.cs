namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>A RabbitMQ node driven through tests/tools/rabbitmq-node.sh: the shared one tests/run.sh started,
/// or a private one a test starts and stops itself (fault tests).</summary>
internal sealed class RabbitMqNode : IAsyncDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private readonly bool _owned;

    private RabbitMqNode(string directory, int port, bool owned)
    {
        Directory = directory;
        Port = port;
        _owned = owned;
    }

    public string Directory { get; }

    public int Port { get; }

    private static string Script => Path.Combine(TestEnvironment.Require("HB_TEST_TOOLS"), "rabbitmq-node.sh");

    public static RabbitMqNode Shared() => new(
        TestEnvironment.Require("HB_TEST_RABBITMQ_DIR"),
        int.Parse(TestEnvironment.Require("HB_TEST_RABBITMQ_PORT"), System.Globalization.CultureInfo.InvariantCulture),
        owned: false);

    public static async Task<RabbitMqNode> StartPrivateAsync()
    {
        var directory = Path.Combine(TestEnvironment.Require("HB_TEST_WORK"), "rabbitmq-" + Guid.NewGuid().ToString("N")[..8]);
        var node = new RabbitMqNode(directory, TestEnvironment.FreePorts(10), owned: true);
        await node.StartAsync();
        return node;
    }

    public Task StartAsync() => TestEnvironment.RunAsync(Script, ["start", Directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], ScriptTimeout);

    public Task StopAsync() => TestEnvironment.RunAsync(Script, ["stop", Directory], ScriptTimeout);

    /// <summary>Creates an isolated virtual host so that tests sharing the node never consume each other's messages.</summary>
    public async Task<string> CreateVirtualHostAsync()
    {
        var vhost = "hb-" + Guid.NewGuid().ToString("N")[..12];
        await TestEnvironment.RunAsync(Script, ["ctl", Directory, "add_vhost", vhost], ScriptTimeout);
        await TestEnvironment.RunAsync(Script, ["ctl", Directory, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], ScriptTimeout);
        return vhost;
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await StopAsync();
        }
    }
}
