using System.Net.Http.Headers;

namespace HarborBridge.IntegrationTests.Infrastructure;

internal static class WebhookClient
{
    public static HttpRequestMessage Request(byte[] body, string contentType = "application/json", string? authorization = HarborBridgeFactory.AuthHeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/harbor") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    public static string ContentTypeFor(string path) =>
        path.Contains("cloudevents", StringComparison.Ordinal) || path.EndsWith("wire-order.json", StringComparison.Ordinal)
            ? "application/cloudevents+json"
            : "application/json";

    public static IEnumerable<string> Samples() =>
        Directory.EnumerateFiles(TestEnvironment.FixturePath("harbor", "webhooks"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>A PUSH_ARTIFACT body in Harbor's Default format for a fresh random digest.</summary>
    public static (byte[] Body, string Digest) Push(string project = "payments", string repository = "team/api", string tag = "v1")
    {
        var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var payload = new
        {
            type = "PUSH_ARTIFACT",
            occur_at = 1787217000,
            @operator = "ci-bot",
            event_data = new
            {
                resources = new[] { new { digest, tag, resource_url = $"harbor.example.com/{project}/{repository}:{tag}" } },
                repository = new { date_created = 1786000000, name = repository, @namespace = project, repo_full_name = $"{project}/{repository}", repo_type = "private" },
            },
        };
        return (System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload), digest);
    }
}
