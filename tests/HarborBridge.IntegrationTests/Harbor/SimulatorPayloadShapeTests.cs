using System.Text.Json;
using HarborBridge.HarborSimulator;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>The simulator's webhook bodies have the same keys, in the same order and nesting, as the reconstructed
/// Harbor samples in tests/fixtures/harbor/webhooks/reconstructed/ (values differ: digests, times, ids).</summary>
public sealed class SimulatorPayloadShapeTests
{
    private static string Sample(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "harbor", "webhooks", "reconstructed", name));

    /// <summary>Every key path with the kind of its value, in document order; array items collapse to [].</summary>
    private static List<string> Shape(string json)
    {
        using var document = JsonDocument.Parse(json);
        var paths = new List<string>();
        Walk(document.RootElement, "$", paths);
        return paths.Distinct().ToList();
    }

    private static void Walk(JsonElement element, string path, List<string> paths)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    // Map keys chosen by data (severity names) are values, not shape.
                    var key = path.EndsWith(".summary.summary", StringComparison.Ordinal) ? "*" : property.Name;
                    paths.Add($"{path}.{key}:{Kind(property.Value)}");
                    Walk(property.Value, $"{path}.{key}", paths);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[]", paths);
                }

                break;
            default:
                break;
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False ? "bool" : e.ValueKind.ToString();

    [Fact]
    public async Task Webhooks_PushAndScanInBothFormats_HaveHarborsShape()
    {
        var ct = TestServices.Timeout(90);
        var options = new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            DefaultReportFile = Path.Combine(AppContext.BaseDirectory, "fixtures", "harbor", "api-examples", "vulnerabilities_addition.response.json"),
            ScanDelay = TimeSpan.FromMilliseconds(50),
            WebhookAttempts = 1,
        };
        await using var session = await SimulatorSession.StartAsync(options);
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/default", null, "Default", "PUSH_ARTIFACT", "PULL_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED");
        session.Simulator.State.AddWebhookPolicy(session.Project, "http://127.0.0.1:9/cloudevents", null, "CloudEvents", "PUSH_ARTIFACT");
        var image = await session.PushImageAsync("team/api", "1.4.2", ct);
        await session.Harbor.StartScanAsync(session.Project, "team/api", image.ManifestDigest, ct);
        await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_COMPLETED", TimeSpan.FromSeconds(20), ct);
        options.FailingScans.Add($"{session.Project}/team/api");
        await session.Harbor.StartScanAsync(session.Project, "team/api", image.ManifestDigest, ct);
        await session.Simulator.State.WaitForDeliveryAsync(d => d.EventType == "SCANNING_FAILED", TimeSpan.FromSeconds(20), ct);
        await session.Simulator.State.WaitForDeliveryAsync(d => d.Format == "CloudEvents", TimeSpan.FromSeconds(20), ct);

        string Body(string eventType, string format) =>
            session.Simulator.State.Deliveries.First(d => d.EventType == eventType && d.Format == format).Body;

        Assert.Equal(Shape(Sample("push_artifact.by-tag.default.json")), Shape(Body("PUSH_ARTIFACT", "Default")));
        Assert.Equal(Shape(Sample("push_artifact.by-tag.cloudevents.json")), Shape(Body("PUSH_ARTIFACT", "CloudEvents")));
        Assert.Equal(Shape(Sample("scanning_completed.vulnerability.default.json")), Shape(Body("SCANNING_COMPLETED", "Default")));
        Assert.Equal(Shape(Sample("scanning_failed.default.json")), Shape(Body("SCANNING_FAILED", "Default")));
        Assert.Equal(Shape(Sample("pull_artifact.by-scanner-robot.default.json")), Shape(Body("PULL_ARTIFACT", "Default")));
        using var pull = JsonDocument.Parse(Body("PULL_ARTIFACT", "Default"));
        Assert.Matches(@"^robot\$" + session.Project + @"\+[0-9a-f]{8}-Trivy-", pull.RootElement.GetProperty("operator").GetString());
        Assert.Equal(image.ManifestDigest, pull.RootElement.GetProperty("event_data").GetProperty("resources")[0].GetProperty("tag").GetString());
    }

    [Fact]
    public async Task Api_RepositoryNameEncodedOnce_IsNotFoundLikeHarbor()
    {
        var ct = TestServices.Timeout();
        await using var session = await SimulatorSession.StartAsync();
        var image = await session.PushImageAsync("team/api", "1", ct);
        using var http = new HttpClient { BaseAddress = session.Simulator.Url };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:Harbor12345"u8.ToArray()));

        using var once = await http.GetAsync($"/api/v2.0/projects/{session.Project}/repositories/team%2Fapi/artifacts/{image.ManifestDigest}", ct);
        using var twice = await http.GetAsync($"/api/v2.0/projects/{session.Project}/repositories/team%252Fapi/artifacts/{image.ManifestDigest}", ct);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, once.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, twice.StatusCode);
        Assert.False(string.IsNullOrEmpty(twice.Headers.GetValues("X-Request-Id").Single()));
    }
}
