using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Core.Webhooks;

namespace HarborBridge.UnitTests.Webhooks;

public sealed class HarborWebhookParserTests
{
    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var path in Fixtures.WebhookSamples())
        {
            data.Add(Fixtures.WebhookName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_SharedSample_MatchesTheFieldsInTheJson(string name)
    {
        var path = Fixtures.PathOf("harbor", "webhooks", name);
        var bytes = File.ReadAllBytes(path);
        var cloudEvents = Fixtures.IsCloudEvents(path);

        var parsed = HarborWebhookParser.Parse(bytes, cloudEvents ? WebhookPayloadFormat.CloudEvents : WebhookPayloadFormat.Default);

        // Expected values read straight from the JSON, without the parser.
        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        var data = root.GetProperty(cloudEvents ? "data" : "event_data");
        Assert.Equal(root.GetProperty("type").GetString(), parsed.RawType);
        Assert.NotEqual(HarborEventType.Unknown, parsed.Type);
        Assert.Equal(root.TryGetProperty("operator", out var op) ? op.GetString() : null, parsed.Operator);
        if (cloudEvents)
        {
            Assert.Equal($"ce:{root.GetProperty("id").GetString()}:{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}", parsed.EventId);
            Assert.Equal(DateTimeOffset.Parse(root.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture), parsed.OccurredAt);
        }
        else
        {
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), parsed.EventId);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("occur_at").GetInt64()), parsed.OccurredAt);
        }

        if (data.TryGetProperty("repository", out var repo))
        {
            Assert.Equal(repo.GetProperty("namespace").GetString(), parsed.Repository!.Project);
            Assert.Equal(repo.GetProperty("name").GetString(), parsed.Repository.Name);
        }

        var digests = data.TryGetProperty("resources", out var resources)
            ? resources.EnumerateArray().Select(r => r.GetProperty("digest").GetString()!).ToList()
            : [];
        Assert.Equal(digests, parsed.Resources.Select(r => r.Digest).ToList());
    }

    [Fact]
    public void Parse_DefaultAndCloudEventsOfSameScan_GiveSameArtifactAndSummary()
    {
        var dir = Fixtures.PathOf("harbor", "webhooks", "reconstructed");
        var def = HarborWebhookParser.Parse(File.ReadAllBytes(Path.Combine(dir, "scanning_completed.vulnerability.default.json")), WebhookPayloadFormat.Default);
        var ce = HarborWebhookParser.Parse(File.ReadAllBytes(Path.Combine(dir, "scanning_completed.vulnerability.cloudevents.json")), WebhookPayloadFormat.CloudEvents);

        Assert.Equal(HarborEventType.ScanningCompleted, def.Type);
        Assert.Equal(def.Type, ce.Type);
        Assert.Equal(def.Repository, ce.Repository);
        Assert.Equal(def.Resources[0].Digest, ce.Resources[0].Digest);
        var summary = def.Resources[0].Scan!;
        Assert.Equal("application/vnd.security.vulnerability.report; version=1.1", summary.MimeType);
        Assert.Equal("Success", summary.ScanStatus);
        Assert.Equal(summary.CountsBySeverity, ce.Resources[0].Scan!.CountsBySeverity);
        Assert.Equal("vulnerability", def.ScanType);
    }

    [Fact]
    public void Parse_ScanAllEvent_HasNoScanOverview()
    {
        var path = Fixtures.PathOf("harbor", "webhooks", "reconstructed", "scanning_completed.scan-all.default.json");
        var parsed = HarborWebhookParser.Parse(File.ReadAllBytes(path), WebhookPayloadFormat.Default);

        Assert.Equal(HarborEventType.ScanningCompleted, parsed.Type);
        Assert.All(parsed.Resources, r => Assert.Null(r.Scan));
    }

    [Fact]
    public void Parse_PushByDigest_TagIsNull()
    {
        var path = Fixtures.PathOf("harbor", "webhooks", "docs", "push_artifact.cloudevents.json");
        var parsed = HarborWebhookParser.Parse(File.ReadAllBytes(path), WebhookPayloadFormat.CloudEvents);

        Assert.Null(parsed.Resources[0].Tag);
    }

    [Fact]
    public void Parse_SameBodyTwice_SameEventId()
    {
        var body = File.ReadAllBytes(Fixtures.PathOf("harbor", "webhooks", "reconstructed", "push_artifact.by-tag.default.json"));
        var first = HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default);
        var second = HarborWebhookParser.Parse(body.ToArray(), WebhookPayloadFormat.Default);

        Assert.Equal(first.EventId, second.EventId);
    }

    [Theory]
    [InlineData("{\"type\":", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{}", "'type' is missing")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{}}", "'occur_at'")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904}", "'event_data'")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"resources\":[]}}", "'event_data.repository' is missing")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"repository\":{\"name\":\"a\",\"namespace\":\"p\"}}}", "'event_data.resources' is missing")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"repository\":{\"name\":\"a\",\"namespace\":\"p\"},\"resources\":[]}}", "'event_data.resources' is empty")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"repository\":{\"name\":\"a\",\"namespace\":\"p\"},\"resources\":[{\"tag\":\"v1\"}]}}", "'event_data.resources[0].digest' is missing")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"repository\":{\"name\":\"a\",\"namespace\":\"p\"},\"resources\":[{\"digest\":\"sha256:xyz\"}]}}", "is not a sha256")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":\"yesterday\",\"event_data\":{}}", "'occur_at'")]
    [InlineData("{\"type\":42,\"occur_at\":1680501904,\"event_data\":{}}", "'type' must be a string")]
    [InlineData("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"event_data\":{\"repository\":{\"name\":\"../etc\",\"namespace\":\"p\"},\"resources\":[{\"digest\":\"sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f\"}]}}", "would not accept")]
    public void Parse_BadDefaultBody_ThrowsNamingTheProblem(string body, string expected)
    {
        var e = Assert.Throws<WebhookParseException>(() => HarborWebhookParser.Parse(Encoding.UTF8.GetBytes(body), WebhookPayloadFormat.Default));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static string Push(string project = "payments", string repository = "team/api", string digest = "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", string tag = "v1") =>
        JsonSerializer.Serialize(new
        {
            type = "PUSH_ARTIFACT",
            occur_at = 1680501904,
            @operator = "alice",
            event_data = new { repository = new { name = repository, @namespace = project }, resources = new[] { new { digest, tag } } },
        });

    public static TheoryData<string, string> TrailingNewlines() => new()
    {
        // Audit probes W25-W28: '$' also matches before a final LF, so these were accepted (and stored as phantom records).
        { "project", Push(project: "payments\n") },
        { "repository", Push(repository: "team/api\n") },
        { "digest", Push(digest: "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f\n") },
        { "tag", Push(tag: "v1\n") },
    };

    [Theory]
    [MemberData(nameof(TrailingNewlines))]
    public void Parse_NameWithTrailingNewline_Rejected(string field, string body)
    {
        Assert.NotNull(field);

        Assert.Throws<WebhookParseException>(() => HarborWebhookParser.Parse(Encoding.UTF8.GetBytes(body), WebhookPayloadFormat.Default));
    }

    [Theory]
    [InlineData(255, true)]
    [InlineData(256, false)]
    public void Parse_RepositoryLength_AcceptedUpToHarborsLimitOf255(int length, bool accepted)
    {
        var body = Encoding.UTF8.GetBytes(Push(repository: new string('a', length)));

        var e = Record.Exception(() => HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default));

        Assert.Equal(accepted, e is null);
        if (!accepted)
        {
            Assert.Contains("longer than 255", Assert.IsType<WebhookParseException>(e).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_MoreResourcesThanTheLimit_RejectedNamingTheLimitAndSetting()
    {
        var resources = Enumerable.Range(0, 101).Select(i => new { digest = "sha256:" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture) });
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = "PUSH_ARTIFACT", occur_at = 1680501904,
            event_data = new { repository = new { name = "api", @namespace = "payments" }, resources },
        });

        var e = Assert.Throws<WebhookParseException>(() => HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default, maxResources: 100));

        Assert.Contains("at most 100", e.Message, StringComparison.Ordinal);
        Assert.Contains("HarborBridge:Webhook:MaxResources", e.Message, StringComparison.Ordinal);
        Assert.Equal(101, HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default, maxResources: 101).Resources.Count);
    }

    [Fact]
    public void Parse_CloudEventsReusingAnIdForAnotherBody_GetDifferentEventIds()
    {
        var first = File.ReadAllText(Fixtures.PathOf("harbor", "webhooks", "docs", "push_artifact.cloudevents.json"));
        using var doc = JsonDocument.Parse(first);
        var digest = doc.RootElement.GetProperty("data").GetProperty("resources")[0].GetProperty("digest").GetString()!;
        var second = first.Replace(digest, "sha256:" + new string('f', 64), StringComparison.Ordinal);

        var a = HarborWebhookParser.Parse(Encoding.UTF8.GetBytes(first), WebhookPayloadFormat.CloudEvents);
        var retry = HarborWebhookParser.Parse(Encoding.UTF8.GetBytes(first), WebhookPayloadFormat.CloudEvents);
        var b = HarborWebhookParser.Parse(Encoding.UTF8.GetBytes(second), WebhookPayloadFormat.CloudEvents);

        Assert.Equal(a.EventId, retry.EventId);
        Assert.NotEqual(a.EventId, b.EventId);
    }

    [Theory]
    [InlineData("{\"specversion\":\"0.3\",\"id\":\"x\",\"type\":\"harbor.artifact.pushed\",\"time\":\"2023-04-03T06:04:46Z\",\"data\":{}}", "'specversion'")]
    [InlineData("{\"specversion\":\"1.0\",\"type\":\"harbor.artifact.pushed\",\"time\":\"2023-04-03T06:04:46Z\",\"data\":{}}", "'id' is missing")]
    [InlineData("{\"specversion\":\"1.0\",\"id\":\"x\",\"type\":\"harbor.artifact.pushed\",\"time\":\"soon\",\"data\":{}}", "'time'")]
    [InlineData("{\"specversion\":\"1.0\",\"id\":\"x\",\"type\":\"harbor.artifact.pushed\",\"time\":\"2023-04-03T06:04:46Z\"}", "'data'")]
    public void Parse_BadCloudEvent_ThrowsNamingTheProblem(string body, string expected)
    {
        var e = Assert.Throws<WebhookParseException>(() => HarborWebhookParser.Parse(Encoding.UTF8.GetBytes(body), WebhookPayloadFormat.CloudEvents));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CloudEventSentAsDefault_SaysWhichContentTypeToUse()
    {
        var body = File.ReadAllBytes(Fixtures.PathOf("harbor", "webhooks", "docs", "push_artifact.cloudevents.json"));

        var e = Assert.Throws<WebhookParseException>(() => HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default));

        Assert.Contains("application/cloudevents+json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidUtf8InsideAString_ThrowsParseException()
    {
        var body = Encoding.UTF8.GetBytes("{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501904,\"operator\":\"ab\",\"event_data\":{}}");
        body[58] = 0xB9; // the "a" of the operator string

        var e = Assert.Throws<WebhookParseException>(() => HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default));

        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownEventType_ParsesAsUnknown()
    {
        var body = "{\"type\":\"ARTIFACT_TELEPORTED\",\"occur_at\":1680501904,\"event_data\":{}}"u8.ToArray();

        var parsed = HarborWebhookParser.Parse(body, WebhookPayloadFormat.Default);

        Assert.Equal(HarborEventType.Unknown, parsed.Type);
    }
}
