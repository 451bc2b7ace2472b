using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Webhooks;

/// <summary>Every kind of bad request gets a 4xx problem+json that names the problem, and nothing is enqueued.
/// The MassTransit test harness replaces the transport so that "nothing published" can be asserted exactly.</summary>
public sealed class WebhookBadInputTests : IAsyncLifetime
{
    private const int MaxBodyBytes = 4096;
    private readonly string _databaseFile = Path.Combine(Path.GetTempPath(), $"hb-badinput-{Guid.NewGuid():N}.db");
    private HarborBridgeFactory _factory = null!;
    private HttpClient _client = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _factory = new HarborBridgeFactory(
            new Dictionary<string, string?>
            {
                ["HarborBridge:Database:ConnectionString"] = $"Data Source={_databaseFile}",
                ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
                ["HarborBridge:Webhook:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["HarborBridge:Logging:Console"] = "false",
            },
            services => services.AddMassTransitTestHarness(h => h.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromMilliseconds(300))));
        _client = _factory.CreateClient();
        _harness = _factory.Services.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        File.Delete(_databaseFile);
    }

    public static TheoryData<string, string, string?, HttpStatusCode, string> BadRequests() => new()
    {
        // body, content type, authorization, expected status, words the problem detail must contain
        { "{\"type\":", "application/json", HarborBridgeFactory.AuthHeader, HttpStatusCode.BadRequest, "not valid JSON" },
        { "[]", "application/json", HarborBridgeFactory.AuthHeader, HttpStatusCode.BadRequest, "JSON object" },
        { "{\"hello\":\"world\"}", "application/json", HarborBridgeFactory.AuthHeader, HttpStatusCode.BadRequest, "'type' is missing" },
        { "{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"resources\":[{\"digest\":\"sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f\"}]}}",
            "application/json", HarborBridgeFactory.AuthHeader, HttpStatusCode.BadRequest, "'event_data.repository' is missing" },
        { "{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"repository\":{\"name\":\"a\",\"namespace\":\"p\"},\"resources\":[{\"digest\":\"md5:abc\"}]}}",
            "application/json", HarborBridgeFactory.AuthHeader, HttpStatusCode.BadRequest, "digest" },
        { "{\"specversion\":\"1.0\",\"type\":\"harbor.artifact.pushed\",\"time\":\"2023-04-03T06:04:46Z\",\"data\":{}}",
            "application/cloudevents+json", HarborBridgeFactory.AuthHeader, HttpStatusCode.BadRequest, "'id' is missing" },
        { "{}", "text/plain", HarborBridgeFactory.AuthHeader, HttpStatusCode.UnsupportedMediaType, "application/cloudevents+json" },
        { "{}", "application/xml", HarborBridgeFactory.AuthHeader, HttpStatusCode.UnsupportedMediaType, "application/json" },
        { "{}", "application/json", null, HttpStatusCode.Unauthorized, "Authorization" },
        { "{}", "application/json", "Basic d3Jvbmc6c2VjcmV0", HttpStatusCode.Unauthorized, "Authorization" },
        { "{}", "application/json", HarborBridgeFactory.AuthHeader.ToUpperInvariant(), HttpStatusCode.Unauthorized, "Authorization" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Post_BadRequest_ProblemAndNothingEnqueued(string body, string contentType, string? authorization, HttpStatusCode status, string detail)
    {
        using var response = await _client.SendAsync(WebhookClient.Request(Encoding.UTF8.GetBytes(body), contentType, authorization));

        await AssertProblemAsync(response, status, detail);
        Assert.False(await _harness.Published.Any());
    }

    [Fact]
    public async Task Post_MissingContentType_Is415()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/harbor") { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Headers.TryAddWithoutValidation("Authorization", HarborBridgeFactory.AuthHeader);

        using var response = await _client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "application/json");
        Assert.False(await _harness.Published.Any());
    }

    [Fact]
    public async Task Post_OversizeBody_Is413()
    {
        var (push, _) = WebhookClient.Push();
        var padded = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(push).TrimEnd('}') + ",\"padding\":\"" + new string('x', MaxBodyBytes) + "\"}");

        using var response = await _client.SendAsync(WebhookClient.Request(padded));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(await _harness.Published.Any());
    }

    [Fact]
    public async Task Post_OversizeChunkedBody_Is413()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/harbor")
        {
            Content = new StreamContent(new MemoryStream(new byte[MaxBodyBytes * 3])),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("Authorization", HarborBridgeFactory.AuthHeader);

        using var response = await _client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than");
        Assert.False(await _harness.Published.Any());
    }

    [Fact]
    public async Task Post_UnknownEventType_IgnoredWith200AndNothingEnqueued()
    {
        var body = "{\"type\":\"ARTIFACT_TELEPORTED\",\"occur_at\":1680501904,\"event_data\":{}}"u8.ToArray();

        using var response = await _client.SendAsync(WebhookClient.Request(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ignored", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.False(await _harness.Published.Any());
    }

    [Fact]
    public async Task Post_ValidPush_PublishesArtifactPushed()
    {
        // The control case: the same harness does see a publish for a good request.
        var (body, digest) = WebhookClient.Push();

        using var response = await _client.SendAsync(WebhookClient.Request(body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await _harness.Published.Any<Contracts.ArtifactPushed>(m => m.Context.Message.Artifact.Digest == digest));
    }

    [Fact]
    public async Task Post_AfterBadRequests_ServiceStillHealthy()
    {
        for (var i = 0; i < 20; i++)
        {
            using var bad = await _client.SendAsync(WebhookClient.Request(Encoding.UTF8.GetBytes(new string('{', i * 50))));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using var health = await _client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", problem.ToString(), StringComparison.Ordinal); // no stack trace
    }
}
