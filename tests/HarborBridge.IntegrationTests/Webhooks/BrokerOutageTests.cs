using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HarborBridge.IntegrationTests.Infrastructure;

namespace HarborBridge.IntegrationTests.Webhooks;

/// <summary>With the broker down the endpoint answers 503 (so Harbor retries) instead of 202 and losing the
/// event; when the broker is back, Harbor's retry of the same body is accepted and recorded exactly once.</summary>
public sealed class BrokerOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private RabbitMqNode _node = null!;
    private PostgresDatabase _database = null!;
    private HarborBridgeFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _node = await RabbitMqNode.StartPrivateAsync();
        _database = await PostgresDatabase.CreateAsync();
        _factory = new HarborBridgeFactory(HarborBridgeFactory.RealServices(_node, "/", _database));
        _client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(_client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _node.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Post_WhileBrokerDown_503ThenRetryAfterRestartRecordedOnce()
    {
        var (before, beforeDigest) = WebhookClient.Push(tag: "before");
        using (var accepted = await _client.SendAsync(WebhookClient.Request(before)))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        Assert.True(await TestEnvironment.EventuallyAsync(async () => await EventCounter.ArtifactsWithDigestAsync(_database.ConnectionString, beforeDigest) == 1, Patience));

        await _node.StopAsync();
        var (during, duringDigest) = WebhookClient.Push(tag: "during-outage");
        using (var refused = await _client.SendAsync(WebhookClient.Request(during)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Headers.RetryAfter is not null, "503 without Retry-After");
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("retry", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            using var ready = await _client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, Patience), "/readyz still says ready with the broker down");

        await _node.StartAsync();
        Assert.True(await Readiness.WaitForCheckAsync(_client, "masstransit-bus", "Healthy", Patience), "bus did not reconnect");

        // Harbor's retry: the same bytes again, until accepted (bounded).
        var retried = await TestEnvironment.EventuallyAsync(async () =>
        {
            using var retry = await _client.SendAsync(WebhookClient.Request(during));
            return retry.StatusCode == HttpStatusCode.Accepted;
        }, Patience);
        Assert.True(retried, "retry after the broker came back was not accepted");

        Assert.True(await TestEnvironment.EventuallyAsync(async () => await EventCounter.ArtifactsWithDigestAsync(_database.ConnectionString, duringDigest) == 1, Patience));
        await Task.Delay(1500);
        Assert.Equal(1, await EventCounter.CountAsync(_database.ConnectionString, "SELECT COUNT(*) FROM artifact_events WHERE digest = @p", duringDigest));
        Assert.Equal(1, await EventCounter.CountAsync(_database.ConnectionString, "SELECT COUNT(*) FROM artifact_events WHERE digest = @p", beforeDigest));
    }
}
