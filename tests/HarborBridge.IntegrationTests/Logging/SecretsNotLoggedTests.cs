using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using HarborBridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace HarborBridge.IntegrationTests.Logging;

/// <summary>Captures every log event of a busy service and checks that no secret and no payload appears.</summary>
public sealed class SecretsNotLoggedTests : IDisposable
{
    private const string WebhookSecret = "Basic d2ViaG9vay1TRUNSRVQtNzc3";
    private const string AdminToken = "admin-TOKEN-secret-4242-0123456789abcdef";
    private const string HarborPassword = "harbor-ROBOT-password-9191";
    private const string WrongSecret = "Basic Z3Vlc3MtU0VDUkVULTEyMw==";
    private const string KeyPassword = "key-PASSWORD-secret-5151";
    private readonly string _databaseFile = Path.Combine(Path.GetTempPath(), $"hb-secrets-{Guid.NewGuid():N}.db");
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"hb-secrets-{Guid.NewGuid():N}.key");

    public void Dispose()
    {
        File.Delete(_databaseFile);
        File.Delete(_keyFile);
    }

    [Fact]
    public async Task Serve_UnderTraffic_NeverLogsSecretsOrPayloads()
    {
        var sink = new CapturingSink();
        using (var key = HarborBridge.Signing.Keys.SigningKeyFiles.Generate())
        {
            // Decrypted (with its password) by the start-up validation of the signing settings.
            await File.WriteAllTextAsync(_keyFile, HarborBridge.Signing.Keys.SigningKeyFiles.WriteEncryptedPrivateKey(key, System.Text.Encoding.UTF8.GetBytes(KeyPassword), scryptN: 32768));
        }

        await using var factory = new HarborBridgeFactory(
            new Dictionary<string, string?>
            {
                ["HarborBridge:Database:ConnectionString"] = $"Data Source={_databaseFile}",
                ["HarborBridge:Webhook:AuthHeader"] = WebhookSecret,
                ["HarborBridge:Admin:Token"] = AdminToken,
                ["HarborBridge:Harbor:Url"] = $"http://127.0.0.1:{TestEnvironment.FreePorts()}",
                ["HarborBridge:Harbor:Username"] = "robot$harborbridge",
                ["HarborBridge:Harbor:Password"] = HarborPassword,
                ["HarborBridge:Signing:KeyFile"] = _keyFile,
                ["HarborBridge:Signing:KeyPassword"] = KeyPassword,
                ["HarborBridge:Logging:Console"] = "false",
                ["Serilog:MinimumLevel:Default"] = "Verbose",
            },
            services => services.AddSingleton<ILogEventSink>(sink));
        using var client = factory.CreateClient();

        var (push, digest) = WebhookClient.Push(project: "secretsproj", repository: "marker/payload-only-name");
        using (var ok = await client.SendAsync(WebhookClient.Request(push, authorization: WebhookSecret)))
        {
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }

        using (var bad = await client.SendAsync(WebhookClient.Request(push, authorization: WrongSecret)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }

        using (var malformed = await client.SendAsync(WebhookClient.Request("{\"type\":\"PUSH_ARTIFACT\",\"secret\":\"harbor.example.com\""u8.ToArray(), authorization: WebhookSecret)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }

        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await factory.Store.FindByDigestAsync(digest, default)).Count == 1, TimeSpan.FromSeconds(15)));
        foreach (var token in new[] { AdminToken, "wrong-token" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/artifacts/{digest}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var _ = await client.SendAsync(request);
        }

        using (var ready = await client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode); // Harbor configured but unreachable
        }

        var logs = sink.Render();
        Assert.True(logs.Length > 0 && logs.Contains(digest, StringComparison.Ordinal), "the capture saw no HarborBridge log events");
        foreach (var secret in new[] { WebhookSecret, "d2ViaG9vay1TRUNSRVQtNzc3", WrongSecret, AdminToken, HarborPassword, KeyPassword })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }

        // Payload content other than the identifying fields is never logged.
        Assert.DoesNotContain("harbor.example.com", logs, StringComparison.Ordinal);
    }
}
