using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using HarborBridge.Contracts;
using HarborBridge.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Webhooks;

/// <summary>10,000 mutated webhook bodies and headers: never a 5xx, always problem+json for a rejection,
/// nothing enqueued for a rejected request, every 202 published exactly the messages the body describes (type,
/// project, digest, read by an independent oracle; nothing for a duplicate), and the service still works afterwards.</summary>
public sealed class WebhookFuzzTests : IAsyncLifetime
{
    private static readonly string[] ContentTypes =
    [
        "application/json", "application/cloudevents+json", "application/json; charset=utf-8", "text/plain",
        "application/cloudevents-batch+json", "multipart/form-data; boundary=x", ";;;", "application/",
    ];

    private static readonly string?[] Authorizations =
    [
        HarborBridgeFactory.AuthHeader, HarborBridgeFactory.AuthHeader, HarborBridgeFactory.AuthHeader, null, "Basic", "Bearer x",
        HarborBridgeFactory.AuthHeader + "x", new string('A', 5000),
    ];

    private static readonly HttpStatusCode[] Allowed =
    [
        HttpStatusCode.OK, HttpStatusCode.Accepted, HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized,
        HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType,
    ];

    private readonly string _databaseFile = Path.Combine(Path.GetTempPath(), $"hb-fuzz-{Guid.NewGuid():N}.db");
    private readonly PublishCounter _published = new();
    private HarborBridgeFactory _factory = null!;
    private HttpClient _client = null!;
    private byte[][] _samples = [];

    public Task InitializeAsync()
    {
        _factory = new HarborBridgeFactory(new Dictionary<string, string?>
        {
            ["HarborBridge:Database:ConnectionString"] = $"Data Source={_databaseFile}",
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Webhook:MaxBodyBytes"] = "65536",
            ["HarborBridge:Logging:Console"] = "false",
        });
        _client = _factory.CreateClient();
        _factory.Services.GetRequiredService<IBus>().ConnectPublishObserver(_published);
        _samples = WebhookClient.Samples().Select(File.ReadAllBytes).ToArray();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_databaseFile);
    }

    [Fact]
    public async Task Post_TenThousandMutatedRequests_NoServerErrorAndRejectionsEnqueueNothing()
    {
        var gen = Gen.Select(Gen.Int[0, _samples.Length - 1], Gen.Int[0, 7], Gen.Int[0, 1_000_000], Gen.Byte, Gen.Int[0, ContentTypes.Length - 1], Gen.Int[0, Authorizations.Length - 1])
            .Select((sample, kind, position, value, contentType, authorization) => new Mutation(sample, kind, position, value, contentType, authorization));

        await gen.SampleAsync(async mutation =>
        {
            var body = mutation.Apply(_samples[mutation.Sample]);
            var before = _published.Count;
            using var response = await _client.SendAsync(WebhookClient.Request(body, ContentTypes[mutation.ContentType], Authorizations[mutation.Authorization]));

            Assert.Contains(response.StatusCode, Allowed);
            if ((int)response.StatusCode >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains("\"detail\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                Assert.Equal(before, _published.Count);
                return;
            }

            // A 202 must have published exactly what the body describes, read here without the parser under test.
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
            var published = _published.Since(before);
            if (status == "duplicate")
            {
                Assert.Empty(published);
                return;
            }

            Assert.Equal(HarborBridgeFactory.AuthHeader, Authorizations[mutation.Authorization]);
            var expected = Oracle.Expected(body, ContentTypes[mutation.ContentType]);
            Assert.Equal(expected.Select(e => e.Type), published.Select(m => m.GetType()));
            Assert.Equal(expected.Select(e => (e.Project, e.Digest)), published.Select(Oracle.ProjectAndDigest));
        }, iter: 10_000, threads: 1);

        using var health = await _client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var (push, digest) = WebhookClient.Push();
        using var accepted = await _client.SendAsync(WebhookClient.Request(push));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await _factory.Store.FindByDigestAsync(digest, default)).Count == 1, TimeSpan.FromSeconds(15)));
    }

    private sealed record Mutation(int Sample, int Kind, int Position, byte Value, int ContentType, int Authorization)
    {
        public byte[] Apply(byte[] original)
        {
            var bytes = original.ToList();
            var at = bytes.Count == 0 ? 0 : Position % bytes.Count;
            switch (Kind)
            {
                case 0: bytes[at] = Value; break;                                       // flip a byte
                case 1: bytes.RemoveRange(at, bytes.Count - at); break;                 // truncate
                case 2: bytes.Insert(at, Value); break;                                 // insert a byte
                case 3: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + (Value % 40))); break; // delete a span
                case 4: return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("\"", Value % 2 == 0 ? "'" : "", StringComparison.Ordinal));
                case 5: return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("sha256:", "sha256:" + (char)('a' + (Value % 30)), StringComparison.Ordinal));
                case 6: return [.. original, .. original];                              // two documents
                default: return original;                                               // headers alone vary
            }

            return [.. bytes];
        }
    }

    /// <summary>What a well-formed body must produce: one message per resource for artifact events (type by event
    /// type, project from <c>repository.namespace</c>, digest from the resource), a registry event per resource for an
    /// SBOM generation's scan events, one registry event otherwise.</summary>
    private static class Oracle
    {
        private static readonly Dictionary<string, Type> ArtifactMessages = new(StringComparer.Ordinal)
        {
            ["PUSH_ARTIFACT"] = typeof(ArtifactPushed), ["harbor.artifact.pushed"] = typeof(ArtifactPushed),
            ["PULL_ARTIFACT"] = typeof(ArtifactPulled), ["harbor.artifact.pulled"] = typeof(ArtifactPulled),
            ["DELETE_ARTIFACT"] = typeof(ArtifactDeleted), ["harbor.artifact.deleted"] = typeof(ArtifactDeleted),
            ["SCANNING_COMPLETED"] = typeof(ScanCompleted), ["harbor.scan.completed"] = typeof(ScanCompleted),
            ["SCANNING_FAILED"] = typeof(ScanFailed), ["harbor.scan.failed"] = typeof(ScanFailed),
            ["SCANNING_STOPPED"] = typeof(ScanFailed), ["harbor.scan.stopped"] = typeof(ScanFailed),
        };

        public static List<(Type Type, string? Project, string? Digest)> Expected(byte[] body, string contentType)
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var data = root.GetProperty(contentType.StartsWith("application/cloudevents+json", StringComparison.Ordinal) ? "data" : "event_data");
            var project = data.TryGetProperty("repository", out var repository) && repository.ValueKind == JsonValueKind.Object
                ? repository.GetProperty("namespace").GetString()
                : null;
            var digests = data.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array
                ? resources.EnumerateArray().Select(r => r.GetProperty("digest").GetString()).ToList()
                : [];
            // An SBOM generation's scan events (data.scan.scan_type "sbom", any case) are history, not a scan to decide.
            var sbom = data.TryGetProperty("scan", out var scan) && scan.ValueKind == JsonValueKind.Object
                && scan.TryGetProperty("scan_type", out var scanType) && scanType.ValueKind == JsonValueKind.String
                && string.Equals(scanType.GetString(), "sbom", StringComparison.OrdinalIgnoreCase);
            return ArtifactMessages.TryGetValue(root.GetProperty("type").GetString()!, out var type)
                   && !(sbom && (type == typeof(ScanCompleted) || type == typeof(ScanFailed)))
                ? digests.Select(d => (type, project, d)).ToList()
                : (digests.Count == 0 ? [null] : digests).Select(d => (typeof(RegistryEventReceived), project, d)).ToList();
        }

        public static (string? Project, string? Digest) ProjectAndDigest(object message) => message switch
        {
            ArtifactPushed m => (m.Artifact.Project, m.Artifact.Digest),
            ArtifactPulled m => (m.Artifact.Project, m.Artifact.Digest),
            ArtifactDeleted m => (m.Artifact.Project, m.Artifact.Digest),
            ScanCompleted m => (m.Artifact.Project, m.Artifact.Digest),
            ScanFailed m => (m.Artifact.Project, m.Artifact.Digest),
            RegistryEventReceived m => (m.Project, m.Digest),
            _ => throw new InvalidOperationException($"unexpected message {message.GetType().Name}"),
        };
    }

    private sealed class PublishCounter : IPublishObserver
    {
        private readonly List<object> _messages = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public List<object> Since(int count)
        {
            lock (_messages)
            {
                return _messages.Skip(count).ToList();
            }
        }

        public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context) where T : class
        {
            lock (_messages)
            {
                _messages.Add(context.Message);
            }

            Interlocked.Increment(ref _count);
            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
