using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Webhooks;

/// <summary>The running service over real RabbitMQ and real PostgreSQL: what Harbor posts gets recorded, once.</summary>
public sealed class WebhookIntakeTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Loop events HarborBridge must answer 200 and not act on (chosen by reading each sample).
    private static readonly HashSet<string> IgnoredSamples =
    [
        "docs/pull_artifact.default.json",                          // pull by the Trivy scanner robot
        "docs/pull_artifact.cloudevents.json",                      // same, CloudEvents
        "reconstructed/pull_artifact.by-scanner-robot.default.json",
        "harbor-source/pull_artifact.cloudevents.code-comment.json", // operator robot$library+scanner-Trivy-…
        "reconstructed/push_artifact.cosign-signature-tag.default.json",
    ];

    private PostgresDatabase _database = null!;
    private HarborBridgeFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var node = RabbitMqNode.Shared();
        _database = await PostgresDatabase.CreateAsync();
        var vhost = await node.CreateVirtualHostAsync();
        _factory = new HarborBridgeFactory(HarborBridgeFactory.RealServices(node, vhost, _database));
        _client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(_client, "masstransit-bus", "Healthy", Patience), "bus did not connect to RabbitMQ");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Post_EverySharedSample_RecordedOnceOrIgnored()
    {
        var expected = new Dictionary<string, int>(); // event id -> resources it carries
        foreach (var path in WebhookClient.Samples())
        {
            var name = Path.GetRelativePath(TestEnvironment.FixturePath("harbor", "webhooks"), path);
            var body = await File.ReadAllBytesAsync(path);
            using var response = await _client.SendAsync(WebhookClient.Request(body, WebhookClient.ContentTypeFor(path)));
            var reply = await response.Content.ReadFromJsonAsync<JsonElement>();

            if (IgnoredSamples.Contains(name))
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {response.StatusCode}");
                Assert.Equal("ignored", reply.GetProperty("status").GetString());
                continue;
            }

            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{name}: {response.StatusCode} {reply}");
            expected[reply.GetProperty("eventId").GetString()!] = ResourceCount(body);
            Assert.Equal(ExpectedEventId(body, path), reply.GetProperty("eventId").GetString());
        }

        foreach (var (eventId, resources) in expected)
        {
            Assert.True(await TestEnvironment.EventuallyAsync(
                async () => await EventCounter.EventsWithPrefixAsync(_database.ConnectionString, eventId) >= resources, Patience),
                $"event {eventId} was not recorded");
        }

        await Task.Delay(1000); // let any duplicate delivery land before counting exactly
        foreach (var (eventId, resources) in expected)
        {
            Assert.Equal(resources, await EventCounter.EventsWithPrefixAsync(_database.ConnectionString, eventId));
        }

        var ignoredDigest = "sha256:5d2c8a1f0e9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"; // the .sig manifest
        Assert.Equal(0, await EventCounter.ArtifactsWithDigestAsync(_database.ConnectionString, ignoredDigest));
    }

    [Fact]
    public async Task Post_SameBodyTwice_RecordedOnce()
    {
        var (body, digest) = WebhookClient.Push();

        using var first = await _client.SendAsync(WebhookClient.Request(body));
        using var second = await _client.SendAsync(WebhookClient.Request(body));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _factory.Store.FindByDigestAsync(digest, default)).Count == 1, Patience));
        await Task.Delay(1000);
        Assert.Equal(1, await EventCounter.CountAsync(_database.ConnectionString, "SELECT COUNT(*) FROM artifact_events WHERE digest = @p", digest));
    }

    [Fact]
    public async Task Redelivery_SameMessageTwice_ChangesNothingTheSecondTime()
    {
        var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var message = new ArtifactPushed("test-redelivery-" + digest, new ArtifactRef("payments", "team/api", digest), "v7", "ci-bot", DateTimeOffset.FromUnixTimeSeconds(1787217000));
        var bus = _factory.Services.GetRequiredService<IBus>();

        await bus.Publish(message);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _factory.Store.FindByDigestAsync(digest, default)).Count == 1, Patience));
        var before = (await _factory.Store.FindByDigestAsync(digest, default)).Single();
        await bus.Publish(message);
        await Task.Delay(1500);

        var after = (await _factory.Store.FindByDigestAsync(digest, default)).Single();
        Assert.Equal(before, after with { Tags = before.Tags });
        Assert.Equal(["v7"], after.Tags);
        Assert.Single(await _factory.Store.GetEventsAsync(digest, default));
    }

    [Fact]
    public async Task Post_HundredConcurrentPushes_AllLand()
    {
        var pushes = Enumerable.Range(0, 100).Select(i => WebhookClient.Push(repository: $"load/app{i % 7}", tag: $"build-{i}")).ToList();

        var responses = await Task.WhenAll(pushes.Select(p => _client.SendAsync(WebhookClient.Request(p.Body))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var digests = pushes.Select(p => p.Digest).ToArray();
        Assert.True(await TestEnvironment.EventuallyAsync(
            async () => await EventCounter.CountAsync(_database.ConnectionString, "SELECT COUNT(*) FROM artifacts WHERE digest = ANY(@p)", digests) == 100, Patience));
        Assert.Equal(100, await EventCounter.CountAsync(_database.ConnectionString, "SELECT COUNT(*) FROM artifact_events WHERE digest = ANY(@p)", digests));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    private static int ResourceCount(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var data = doc.RootElement.TryGetProperty("data", out var d) ? d : doc.RootElement.GetProperty("event_data");
        return data.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array
            ? Math.Max(1, resources.GetArrayLength())
            : 1;
    }

    // Harbor's retry identity: the CloudEvents id with the body's hash (a reused id with another body is another event),
    // or (Default format) the bytes of the body.
    private static string ExpectedEventId(byte[] body, string path)
    {
        if (WebhookClient.ContentTypeFor(path) == "application/cloudevents+json")
        {
            using var doc = JsonDocument.Parse(body);
            return $"ce:{doc.RootElement.GetProperty("id").GetString()}:{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}";
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
    }
}
