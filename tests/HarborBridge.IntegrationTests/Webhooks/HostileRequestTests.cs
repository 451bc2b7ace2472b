using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Webhooks;

/// <summary>The requests of the security audit's probe log (2026-12-05) that got a wrong answer, sent again: each now
/// gets the right status and a problem+json that names the problem, and nothing is published. Probe ids (W24, A10 …)
/// are the audit's. The transport is the MassTransit test harness, so "nothing published" is exact.</summary>
public sealed class HostileRequestTests : IAsyncLifetime
{
    private const string AdminToken = "hostile-suite-admin-token-0123456789abcdef";
    private const string Master = "per-project-master-secret-0123456789abcdef";
    private const string Digest = "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
    private readonly List<string> _databaseFiles = [];
    private readonly List<HarborBridgeFactory> _factories = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var factory in _factories)
        {
            await factory.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in _databaseFiles)
        {
            File.Delete(file);
        }
    }

    private async Task<(HttpClient Client, ITestHarness Harness)> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var database = Path.Combine(Path.GetTempPath(), $"hb-hostile-{Guid.NewGuid():N}.db");
        _databaseFiles.Add(database);
        var settings = new Dictionary<string, string?>
        {
            ["HarborBridge:Database:ConnectionString"] = $"Data Source={database}",
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Admin:Token"] = AdminToken,
            ["HarborBridge:Logging:Console"] = "false",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var factory = new HarborBridgeFactory(settings,
            services => services.AddMassTransitTestHarness(h => h.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromMilliseconds(300))));
        _factories.Add(factory);
        var harness = factory.Services.GetRequiredService<ITestHarness>();
        await harness.Start();
        return (factory.CreateClient(), harness);
    }

    /// <summary>A push in Harbor's Default format, written out here (not by the code under test).</summary>
    private static byte[] Push(string project = "payments", string repository = "team/api", string digest = Digest, string tag = "v1", int resources = 1) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = "PUSH_ARTIFACT",
            occur_at = 1787217000,
            @operator = "ci-bot",
            event_data = new
            {
                resources = Enumerable.Range(0, resources).Select(i => new
                {
                    digest = resources == 1 ? digest : "sha256:" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture),
                    tag,
                }),
                repository = new { name = repository, @namespace = project },
            },
        });

    public static TheoryData<string, byte[], string> WrongAnswers() => new()
    {
        // probe, body, words the problem detail must contain
        { "W24 repository of 198,000 characters", Push(repository: new string('a', 198_000)), "longer than 255" },
        { "W25 project + LF", Push(project: "payments\n"), "would not accept" },
        { "W26 digest + LF", Push(digest: Digest + "\n"), "is not a sha256" },
        { "W27 tag + LF", Push(tag: "v1\n"), "not a valid tag" },
        { "W28 repository + LF", Push(repository: "team/api\n"), "would not accept" },
        { "W38 5,000 resources", Push(resources: 5_000), "at most 100 are accepted (HarborBridge:Webhook:MaxResources)" },
    };

    [Theory]
    [MemberData(nameof(WrongAnswers))]
    public async Task Post_AuditProbeThatWasAccepted_Now400ProblemAndNothingPublished(string probe, byte[] body, string detail)
    {
        var (client, harness) = await StartAsync();

        using var response = await client.SendAsync(WebhookClient.Request(body));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detail, probe);
        Assert.False(await harness.Published.Any(), $"{probe}: something was published");
    }

    [Theory]
    [InlineData("sha256-abc")] // W37: was ignored as a signature push, so the image skipped the checkpoint
    [InlineData("sha256-cafe.sig")] // cosign's suffix on a short hex is not cosign's tag
    [InlineData("sha256-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")] // referrers-fallback shape: judged by its manifest later
    public async Task Post_W37PushTaggedLikeAnAccessory_QueuedForScanningNotIgnored(string tag)
    {
        var (client, harness) = await StartAsync();

        using var response = await client.SendAsync(WebhookClient.Request(Push(tag: tag)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("queued", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.True(await harness.Published.Any<ArtifactPushed>(), "nothing was published");
        var pushed = Assert.Single(harness.Published.Select<ArtifactPushed>()).Context.Message;
        Assert.Equal((Digest, tag, "payments", "team/api"), (pushed.Artifact.Digest, pushed.Tag, pushed.Artifact.Project, pushed.Artifact.Repository));
    }

    [Fact]
    public async Task Post_PushOfARealCosignSignatureTag_IgnoredAndNothingPublished()
    {
        // The other side of W37: cosign's own tag (whole digest + .sig) is HarborBridge's or cosign's output.
        var (client, harness) = await StartAsync();

        using var response = await client.SendAsync(WebhookClient.Request(Push(tag: "sha256-" + new string('e', 64) + ".sig")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ignored", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.False(await harness.Published.Any(), "a signature push was published");
    }

    [Fact]
    public async Task Post_W40CloudEventReusingAnIdForAnotherArtifact_QueuedAsItsOwnEventNotADuplicate()
    {
        var (client, harness) = await StartAsync();
        var first = CloudEvent("ce-reused-1", Digest);
        var second = CloudEvent("ce-reused-1", "sha256:" + new string('b', 64));

        using (var a = await client.SendAsync(WebhookClient.Request(first, "application/cloudevents+json")))
        {
            Assert.Equal(HttpStatusCode.Accepted, a.StatusCode);
        }

        using (var retry = await client.SendAsync(WebhookClient.Request(first, "application/cloudevents+json")))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
            Assert.Equal("duplicate", (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        using var b = await client.SendAsync(WebhookClient.Request(second, "application/cloudevents+json"));

        Assert.Equal(HttpStatusCode.Accepted, b.StatusCode);
        Assert.Equal("queued", (await b.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.True(await harness.Published.Any<ArtifactPushed>(m => m.Context.Message.Artifact.Digest == "sha256:" + new string('b', 64)));
        Assert.Equal(2, harness.Published.Select<ArtifactPushed>().Count());
    }

    [Fact]
    public async Task Get_A10DigestWithTrailingLf_400MalformedDigest()
    {
        var (client, _) = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/artifacts/{Digest}%0A");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "sha256:<64 hex digits>", "A10");
    }

    [Fact]
    public async Task Get_DashboardAndApi_BrowserHardeningHeaders()
    {
        var (client, _) = await StartAsync();
        using var page = await client.GetAsync("/");
        using var api = new HttpRequestMessage(HttpMethod.Get, "/api/v1/artifacts");
        api.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var apiResponse = await client.SendAsync(api);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(HttpStatusCode.OK, apiResponse.StatusCode);
        Assert.True(apiResponse.Headers.CacheControl?.NoStore, "/api answers may be cached");
    }

    [Fact]
    public async Task Get_MetricsBehindTheAdminToken_401WithoutIt200WithIt()
    {
        var (client, _) = await StartAsync(new() { ["HarborBridge:Metrics:RequireAdminToken"] = "true" });

        using var anonymous = await client.GetAsync("/metrics");
        using var withToken = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var scraped = await client.SendAsync(withToken);

        await AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "HarborBridge:Metrics:RequireAdminToken", "M01 unauthenticated /metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("harborbridge_webhooks_total", await scraped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_PerProjectMode_ForgedEventWithAnotherProjectsSecret401AndNothingPublished()
    {
        var (client, harness) = await StartAsync(new() { ["HarborBridge:Webhook:AuthMode"] = "PerProject", ["HarborBridge:Webhook:ProjectSecrets:Master"] = Master });

        // tenantb's policy header (readable by tenantb's members) used to send an event for payments.
        using var forged = await client.SendAsync(WebhookClient.Request(Push(project: "payments"), authorization: ProjectHeader(Master, "tenantb")));
        using var shared = await client.SendAsync(WebhookClient.Request(Push(project: "payments"), authorization: HarborBridgeFactory.AuthHeader));

        await AssertProblemAsync(forged, HttpStatusCode.Unauthorized, "Authorization", "forged per-project event");
        await AssertProblemAsync(shared, HttpStatusCode.Unauthorized, "Authorization", "shared header in per-project mode");
        Assert.False(await harness.Published.Any());

        using var own = await client.SendAsync(WebhookClient.Request(Push(project: "payments"), authorization: ProjectHeader(Master, "payments")));
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
        Assert.True(await harness.Published.Any<ArtifactPushed>(m => m.Context.Message.Artifact is { Project: "payments", Digest: Digest }));
    }

    [Fact]
    public async Task Post_PerProjectModeDuringRotation_OldAndNewAcceptedUntilTheWindowEnds()
    {
        const string old = "previous-master-secret-0123456789abcdef-old";
        var (client, harness) = await StartAsync(new()
        {
            ["HarborBridge:Webhook:AuthMode"] = "PerProject",
            ["HarborBridge:Webhook:ProjectSecrets:Master"] = Master,
            ["HarborBridge:Webhook:ProjectSecrets:PreviousMaster"] = old,
            ["HarborBridge:Webhook:ProjectSecrets:PreviousMasterUntil"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });
        var (ended, _) = await StartAsync(new()
        {
            ["HarborBridge:Webhook:AuthMode"] = "PerProject",
            ["HarborBridge:Webhook:ProjectSecrets:Master"] = Master,
            ["HarborBridge:Webhook:ProjectSecrets:PreviousMaster"] = old,
            ["HarborBridge:Webhook:ProjectSecrets:PreviousMasterUntil"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"),
        });

        using var withOld = await client.SendAsync(WebhookClient.Request(Push(digest: "sha256:" + new string('c', 64)), authorization: ProjectHeader(old, "payments")));
        using var withNew = await client.SendAsync(WebhookClient.Request(Push(digest: "sha256:" + new string('d', 64)), authorization: ProjectHeader(Master, "payments")));
        using var afterWindow = await ended.SendAsync(WebhookClient.Request(Push(), authorization: ProjectHeader(old, "payments")));

        Assert.Equal(HttpStatusCode.Accepted, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withNew.StatusCode);
        Assert.Equal(2, harness.Published.Select<ArtifactPushed>().Count());
        await AssertProblemAsync(afterWindow, HttpStatusCode.Unauthorized, "Authorization", "old master after the window");
    }

    /// <summary>The documented derivation (docs/security.md): "Bearer hbp1." + hex(HMAC-SHA256(master, "harbor-webhook:" + project)).</summary>
    private static string ProjectHeader(string master, string project) =>
        "Bearer hbp1." + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(master), Encoding.UTF8.GetBytes("harbor-webhook:" + project)));

    private static byte[] CloudEvent(string id, string digest) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["specversion"] = "1.0",
        ["id"] = id,
        ["type"] = "harbor.artifact.pushed",
        ["time"] = "2026-12-05T10:00:00Z",
        ["source"] = "/projects/1/webhook/policies/1",
        ["operator"] = "ci-bot",
        ["data"] = new { resources = new[] { new { digest, tag = "v1" } }, repository = new { name = "team/api", @namespace = "payments" } },
    });

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail, string probe)
    {
        Assert.True(status == response.StatusCode, $"{probe}: got {(int)response.StatusCode}, expected {(int)status}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", problem.ToString(), StringComparison.Ordinal);
    }
}
