using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.IntegrationTests.Hosting;

/// <summary><c>serve</c> on the embedded default: in-memory transport, SQLite file, no Harbor configured.</summary>
public sealed class EmbeddedDefaultTests : IDisposable
{
    private const string AdminToken = "admin-token-for-tests-0123456789abcdef";
    private readonly string _databaseFile = Path.Combine(Path.GetTempPath(), $"hb-embedded-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        foreach (var file in new[] { _databaseFile, _databaseFile + "-wal", _databaseFile + "-shm" })
        {
            File.Delete(file);
        }
    }

    private HarborBridgeFactory Factory(Dictionary<string, string?> settings)
    {
        settings["HarborBridge:Database:ConnectionString"] = $"Data Source={_databaseFile}";
        settings["HarborBridge:Logging:Console"] = "false";
        return new HarborBridgeFactory(settings);
    }

    [Fact]
    public async Task Serve_NoOtherService_AcceptsAndRecordsWebhooks()
    {
        await using var factory = Factory(new()
        {
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Admin:Token"] = AdminToken,
        });
        using var client = factory.CreateClient();
        var faults = new FaultCounter();
        factory.Services.GetRequiredService<MassTransit.IBus>().ConnectConsumeObserver(faults);
        var (body, digest) = WebhookClient.Push(tag: "1.0.0");

        using var response = await client.SendAsync(WebhookClient.Request(body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var api = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/artifacts/{digest}");
        api.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        JsonElement artifact = default;
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/artifacts/{digest}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
            using var reply = await client.SendAsync(request);
            if (reply.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            artifact = await reply.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, TimeSpan.FromSeconds(15)));
        var record = artifact.GetProperty("artifacts")[0];
        Assert.Equal("payments", record.GetProperty("artifact").GetProperty("project").GetString());
        Assert.Equal("team/api", record.GetProperty("artifact").GetProperty("repository").GetString());
        Assert.Equal("Received", record.GetProperty("state").GetString());
        Assert.Equal("ci-bot", record.GetProperty("pusher").GetString());
        Assert.Equal(["1.0.0"], record.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("PUSH_ARTIFACT", artifact.GetProperty("events")[0].GetProperty("eventType").GetString());

        // Without Harbor the worker is record-only: the push is recorded, no consumer faults (regression: the scan
        // consumer used to fail on every push because the Harbor client cannot exist without a URL), and nothing that
        // needs Harbor consumed the push.
        await Task.Delay(1000);
        Assert.Equal(0, faults.Count);
        Assert.Equal(1, faults.Consumed); // the history consumer only; no scan request
        using var scope = factory.Services.CreateScope();
        Assert.Null(scope.ServiceProvider.GetService<Scanning.RequestScanConsumer>());
        Assert.NotNull(scope.ServiceProvider.GetService<History.RecordArtifactPushedConsumer>());
    }

    private sealed class FaultCounter : MassTransit.IConsumeObserver
    {
        private int _count;
        private int _consumed;

        public int Count => Volatile.Read(ref _count);

        public int Consumed => Volatile.Read(ref _consumed);

        public Task PreConsume<T>(MassTransit.ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(MassTransit.ConsumeContext<T> context) where T : class
        {
            Interlocked.Increment(ref _consumed);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(MassTransit.ConsumeContext<T> context, Exception exception) where T : class
        {
            Interlocked.Increment(ref _count);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Readyz_HarborNotConfigured_ReadyButSaysSo()
    {
        await using var factory = Factory(new() { ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var harbor = body.GetProperty("checks").GetProperty("harbor");
        Assert.Equal("Degraded", harbor.GetProperty("status").GetString());
        Assert.Contains("not configured", harbor.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task ArtifactsApi_EveryState_PagedMostRecentFirst_FilteredByState()
    {
        await using var factory = Factory(new()
        {
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Admin:Token"] = AdminToken,
        });
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        var project = "paged" + Guid.NewGuid().ToString("N")[..8];
        var digests = new List<string>();
        foreach (var name in new[] { "first", "second", "third" })
        {
            var artifact = new HarborBridge.Contracts.ArtifactRef(project, name, "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray())));
            await factory.Store.RecordEventAsync(
                new HarborBridge.Core.Artifacts.ArtifactEvent(Guid.NewGuid().ToString(), "PUSH_ARTIFACT", project, name, artifact.Digest, "v1", "dev", TimeProvider.System.GetUtcNow(), null),
                new HarborBridge.Core.Artifacts.ArtifactObservation(artifact, "v1", "dev", TimeProvider.System.GetUtcNow(), Deleted: false), default);
            digests.Add(artifact.Digest);
            await Task.Delay(50); // distinct change times
        }

        var first = await client.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts?project={project}&limit=2");
        var second = await client.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts?project={project}&limit=2&offset={first.GetProperty("next").GetInt32()}");
        var received = await client.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts?project={project}&state=received");
        var approved = await client.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts?project={project}&state=Approved");
        using var badOffset = await client.GetAsync($"/api/v1/artifacts?offset=-1");

        static List<string> Digests(JsonElement page) =>
            [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("artifact").GetProperty("digest").GetString()!)];
        Assert.Equal([digests[2], digests[1]], Digests(first));
        Assert.Equal([digests[0]], Digests(second));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.Equal(3, Digests(received).Count);
        Assert.Empty(Digests(approved));
        Assert.Equal(HttpStatusCode.BadRequest, badOffset.StatusCode);
    }

    [Fact]
    public async Task Readyz_HarborRefusesConnections_NamesTheUrlAndTheCause()
    {
        // A port that was free a moment ago: nothing listens, so the connection is refused.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var url = $"http://127.0.0.1:{port}/";
        await using var factory = Factory(new()
        {
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Harbor:Url"] = url,
            ["HarborBridge:Harbor:Username"] = "robot$bridge",
            ["HarborBridge:Harbor:Password"] = "harbor-password-not-in-readyz",
            ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.050",
        });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);
        var harbor = body.RootElement.GetProperty("checks").GetProperty("harbor");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", harbor.GetProperty("status").GetString());
        Assert.Equal($"Harbor at {url} unreachable: connection refused", harbor.GetProperty("description").GetString());
        Assert.DoesNotContain("harbor-password-not-in-readyz", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_HarborRejectsTheCredentials_NamesTheUrlAnd401_ThenHealthyWithTheRightOnes()
    {
        // Harbor answers /ping to anyone; wrong robot credentials only show on a call that needs a signed-in account.
        await using var simulator = await HarborSimulatorHost.StartAsync(new HarborSimulatorOptions { RegistryAddress = TestServices.Registry }, TestServices.Timeout());
        var url = simulator.Url.ToString();

        async Task<(HttpStatusCode Status, string Description, string Text)> ReadyAsync(string password)
        {
            await using var factory = Factory(new()
            {
                ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
                ["HarborBridge:Harbor:Url"] = url,
                ["HarborBridge:Harbor:Username"] = SimulatorSession.User,
                ["HarborBridge:Harbor:Password"] = password,
                ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.050",
            });
            using var client = factory.CreateClient();
            using var response = await client.GetAsync("/readyz");
            var text = await response.Content.ReadAsStringAsync();
            using var body = JsonDocument.Parse(text);
            return (response.StatusCode, body.RootElement.GetProperty("checks").GetProperty("harbor").GetProperty("description").GetString()!, text);
        }

        var wrong = await ReadyAsync("not-the-robot-password");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, wrong.Status);
        Assert.StartsWith($"Harbor at {url} refused the request: 401 Unauthorized", wrong.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-robot-password", wrong.Text, StringComparison.Ordinal);

        var right = await ReadyAsync(SimulatorSession.Password);
        Assert.Equal("Harbor reachable, credentials accepted", right.Description);
    }

    [Fact]
    public async Task Readyz_PolicyFileSet_NamesTheFileAndItsVersion()
    {
        var file = Path.Combine(Path.GetTempPath(), $"hb-policy-{Guid.NewGuid():N}.yaml");
        const string yaml = "version: 1\ndefaults:\n  block: { severity: HIGH }\n";
        await File.WriteAllTextAsync(file, yaml);
        try
        {
            await using var factory = Factory(new()
            {
                ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
                ["HarborBridge:Policy:File"] = file,
            });
            using var client = factory.CreateClient();

            using var response = await client.GetAsync("/readyz");
            var policy = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("policy");

            // The version is the one decisions record: the loader's digest of this very text.
            var version = HarborBridge.Core.Policy.PolicyLoader.Load(yaml, file).PolicyVersion;
            Assert.StartsWith("sha256:", version, StringComparison.Ordinal);
            Assert.Equal("Healthy", policy.GetProperty("status").GetString());
            Assert.Equal(file, policy.GetProperty("data").GetProperty("file").GetString());
            Assert.Equal(version, policy.GetProperty("data").GetProperty("version").GetString());
            Assert.Equal($"policy {file}, version {version}", policy.GetProperty("description").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Readyz_PolicyFileNotSet_SaysBuiltInDefault()
    {
        await using var factory = Factory(new() { ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");
        var policy = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("policy");

        // The test runs in its bin folder, which holds no config/policy.yaml.
        Assert.False(File.Exists(Path.GetFullPath("config/policy.yaml")));
        Assert.Equal("built-in default", policy.GetProperty("data").GetProperty("file").GetString());
        Assert.StartsWith("policy built-in default, version sha256:", policy.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ExplicitOptOut_AcceptsUnauthenticatedWebhooks()
    {
        await using var factory = Factory(new() { ["HarborBridge:Webhook:AllowUnauthenticated"] = "true" });
        using var client = factory.CreateClient();
        var (body, _) = WebhookClient.Push();

        using var response = await client.SendAsync(WebhookClient.Request(body, authorization: null));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_AfterWebhooks_CountsThemByOutcome()
    {
        await using var factory = Factory(new() { ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader });
        using var client = factory.CreateClient();
        var before = await PrometheusText.ScrapeAsync(client);

        var (push, _) = WebhookClient.Push();
        using (await client.SendAsync(WebhookClient.Request(push))) { }
        using (await client.SendAsync(WebhookClient.Request(push, authorization: "Basic bm9wZQ=="))) { }
        using (await client.SendAsync(WebhookClient.Request(push, authorization: "Basic bm9wZQ=="))) { }
        using (await client.SendAsync(WebhookClient.Request("{"u8.ToArray()))) { }
        var after = await PrometheusText.ScrapeAsync(client);

        // Other tests in this process count too, so the counters grow by at least what this test did.
        Assert.True(Delta("harborbridge_webhooks_total{outcome=\"queued\",reason=\"push_artifact\"}") >= 1);
        Assert.True(Delta("harborbridge_webhooks_total{outcome=\"rejected\",reason=\"auth\"}") >= 2);
        Assert.True(Delta("harborbridge_webhooks_total{outcome=\"rejected\",reason=\"malformed\"}") >= 1);
        Assert.Contains("harborbridge_webhook_publish_seconds_bucket", after.Keys.First(k => k.StartsWith("harborbridge_webhook_publish_seconds_bucket", StringComparison.Ordinal)), StringComparison.Ordinal);

        double Delta(string series) => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);
    }

    [Fact]
    public async Task AdminApi_WrongToken_401()
    {
        await using var factory = Factory(new()
        {
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Admin:Token"] = AdminToken,
        });
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/artifacts");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
