using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HarborBridge.IntegrationTests.Infrastructure;

namespace HarborBridge.IntegrationTests.Webhooks;

/// <summary>"202 only once the broker confirmed", separated from "broker unreachable": RabbitMQ is up but refuses the
/// message (its queues are at <c>max-length 0</c> with <c>overflow: reject-publish</c>, so the publisher confirm is a
/// nack). The webhook must answer 503 and record nothing; once the broker takes messages again, Harbor's retry of the
/// same bytes is accepted and recorded once. This fails if publisher confirms are switched off.</summary>
public sealed class BrokerNackTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly RabbitMqNode _node = RabbitMqNode.Shared();
    private string _vhost = "";
    private PostgresDatabase _database = null!;
    private HarborBridgeFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _vhost = await _node.CreateVirtualHostAsync();
        _database = await PostgresDatabase.CreateAsync();
        _factory = new HarborBridgeFactory(HarborBridgeFactory.RealServices(_node, _vhost, _database));
        _client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(_client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    private Task RabbitCtlAsync(params string[] args) =>
        TestEnvironment.RunAsync(Path.Combine(TestEnvironment.Require("HB_TEST_TOOLS"), "rabbitmq-node.sh"), ["ctl", _node.Directory, .. args], Patience);

    [Fact]
    public async Task Post_BrokerNacksThePublish_503NothingRecordedThenRetryAcceptedOnce()
    {
        // The push's queues exist once the bus is up (the consumers declared them); every queue of the vhost refuses.
        await RabbitCtlAsync("set_policy", "-p", _vhost, "--apply-to", "queues", "refuse-all", ".*", """{"max-length":0,"overflow":"reject-publish"}""");
        var (push, digest) = WebhookClient.Push(tag: "nacked");

        using (var refused = await _client.SendAsync(WebhookClient.Request(push)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Headers.RetryAfter is not null, "503 without Retry-After");
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("did not confirm", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await Task.Delay(1_500);
        Assert.Equal(0, await EventCounter.ArtifactsWithDigestAsync(_database.ConnectionString, digest));

        await RabbitCtlAsync("clear_policy", "-p", _vhost, "refuse-all");
        var accepted = await TestEnvironment.EventuallyAsync(async () =>
        {
            using var retry = await _client.SendAsync(WebhookClient.Request(push));
            return retry.StatusCode == HttpStatusCode.Accepted;
        }, Patience);

        Assert.True(accepted, "Harbor's retry was not accepted after the broker took messages again");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await EventCounter.ArtifactsWithDigestAsync(_database.ConnectionString, digest) == 1, Patience));
        await Task.Delay(1_500);
        Assert.Equal(1, await EventCounter.CountAsync(_database.ConnectionString, "SELECT COUNT(*) FROM artifact_events WHERE digest = @p", digest));
    }
}
