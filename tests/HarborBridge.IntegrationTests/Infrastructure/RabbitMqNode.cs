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

    /// <summary>Every queue of <paramref name="vhost"/> with its ready and unacknowledged message counts, as
    /// rabbitmqctl reports them.</summary>
    public async Task<IReadOnlyDictionary<string, (long Ready, long Unacknowledged)>> QueuesAsync(string vhost)
    {
        var output = await TestEnvironment.RunAsync(Script,
            ["ctl", Directory, "list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready", "messages_unacknowledged"], ScriptTimeout);
        var queues = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length == 3 && long.TryParse(fields[1], System.Globalization.CultureInfo.InvariantCulture, out var ready)
                && long.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var unacked))
            {
                queues[fields[0]] = (ready, unacked);
            }
        }

        return queues;
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await StopAsync();
        }
    }
}
