using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.IntegrationTests.Notifications;

namespace HarborBridge.IntegrationTests.Pipeline;

/// <summary>
/// Exception requests through the whole pipeline (Harbor simulator in front of docker-registry, RabbitMQ, PostgreSQL, a
/// webhook channel): a quarantined image, a request for the finding that blocks it, an approval by an owner → released and
/// signed; a denial → still quarantined and the requester's team told; every step in the artifact's history; bad input
/// refused with the reason (issue 20).
/// </summary>
public sealed class ExceptionRequestTests : IAsyncDisposable
{
    private const string AdminToken = "exception-request-test-admin-token-0123456789";
    private const string ChannelSecret = "exception-request-channel-secret-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    // Harbor's own test report: package-4 and package-5 are CRITICAL (ids CVE-YYYY-004/005 are Harbor's placeholders, not
    // real CVE ids). The policy file waives package-5, so package-4 alone blocks: an exception for it releases the image.
    private static readonly string Report = TestEnvironment.FixturePath("policy", "harbor", "harbor-5-vuln.json");

    private readonly PipelineHost _host = new("exr");
    private HttpReceiver? _channel;

    private string Project => _host.Project;

    private static string InDays(int days) => DateTime.UtcNow.AddDays(days).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private async Task StartAsync()
    {
        var routingFile = _host.PathOf("routing.yaml");
        await File.WriteAllTextAsync(routingFile, $"""
            version: 1
            teams:
              - name: web
                match: [{"{"} project: {Project} {"}"}]
                channels: [team-hook]
                approvers: [alice, carol@example.com]

            """);
        _channel = await HttpReceiver.StartAsync();
        var settings = NotificationHost.BaseSettings(routingFile);
        settings["HarborBridge:Notifications:Channels:team-hook:Type"] = "Webhook";
        settings["HarborBridge:Notifications:Channels:team-hook:Url"] = _channel.Url.ToString();
        settings["HarborBridge:Notifications:Channels:team-hook:Secret"] = ChannelSecret;
        await _host.StartAsync(new PipelineHostOptions
        {
            Policy = $"""
                version: 1
                defaults:
                  block: {"{"} severity: CRITICAL {"}"}
                  quarantine: {"{"} strategies: [label] {"}"}
                exceptions:
                  - id: package-5
                    reason: not reachable in this image
                    expires: {InDays(365)}
                exceptionRequests: {"{"} maxDays: 30 {"}"}

                """,
            Reports = { ["app"] = Report },
            Sign = true,
            ScheduledJobs = false,
            AdminToken = AdminToken,
            Settings = settings,
            Patience = Patience,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }
    }

    private async Task<ArtifactRef> QuarantinedImageAsync()
    {
        var image = await _host.Session.PushImageAsync("app", "v1", TestServices.Timeout(120));
        var artifact = new ArtifactRef(Project, "app", image.ManifestDigest);
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.StateAsync(artifact) == ArtifactStates.Quarantined, Patience),
            $"the image with a CRITICAL finding was not quarantined ({await _host.StateAsync(artifact)})");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await LabelledAsync(artifact), Patience), "the quarantine label was not attached");
        return artifact;
    }

    /// <summary>Whether Harbor's API shows a label on the artifact (the quarantine strategy in this policy is "label").</summary>
    private async Task<bool> LabelledAsync(ArtifactRef a) =>
        (await _host.Session.Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, default))!.Labels.Count > 0;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient api, string path, object body)
    {
        using var response = await api.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, json);
    }

    /// <summary>The webhook channel's deliveries of one kind about one request (the id is in the facts).</summary>
    private List<JsonElement> Delivered(string kind, string requestId) => _channel!.Requests
        .Select(r => JsonDocument.Parse(r.Body).RootElement.Clone())
        .Where(b => b.GetProperty("kind").GetString() == kind && b.GetProperty("content").GetRawText().Contains(requestId, StringComparison.Ordinal))
        .ToList();

    private async Task<List<string>> HistoryAsync(ArtifactRef a) =>
        (await _host.Store.GetEventsAsync(a.Digest, default)).Where(e => e.EventType.StartsWith("EXCEPTION_", StringComparison.Ordinal))
            .Select(e => e.EventType).ToList();

    [Fact]
    public async Task RequestThenApprove_QuarantinedImageReleasedAndSigned_NotifiedAndAudited()
    {
        await StartAsync();
        var artifact = await QuarantinedImageAsync();
        Assert.Equal(0, await _host.SignaturesAsync(artifact));
        using var api = _host.AdminClient();

        var (status, created) = await PostAsync(api, "/api/v1/exceptions/requests", new
        {
            findingId = "package-4", project = Project, repository = "app", reason = "the affected code path is never loaded", expires = InDays(14),
            requester = "dave",
        });

        Assert.Equal(HttpStatusCode.Created, status);
        var id = created.GetProperty("requestId").GetString()!;
        Assert.Equal("requested", created.GetProperty("state").GetString());
        Assert.Equal("web", created.GetProperty("team").GetString());
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(Delivered("exception-requested", id).Count == 1), Patience),
            "the owners were not notified of the request");
        var asked = Delivered("exception-requested", id)[0].GetProperty("content").GetRawText();
        Assert.Contains("alice, carol@example.com", asked, StringComparison.Ordinal); // who may approve
        Assert.Contains($"/api/v1/exceptions/requests/{id}/approve", asked, StringComparison.Ordinal);

        // Someone who is not among the team's approvers: refused, naming who may approve; nothing changes.
        var (refused, problem) = await PostAsync(api, $"/api/v1/exceptions/requests/{id}/approve", new { approver = "bob" });
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("may decide: alice, carol@example.com", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(ArtifactStates.Quarantined, await _host.StateAsync(artifact));

        var (approved, decided) = await PostAsync(api, $"/api/v1/exceptions/requests/{id}/approve", new { approver = "Alice", comment = "ok until the fix" });

        Assert.Equal(HttpStatusCode.OK, approved);
        Assert.Equal("approved", decided.GetProperty("state").GetString());
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.StateAsync(artifact) == ArtifactStates.Approved, Patience),
            $"the image was not released and approved ({await _host.StateAsync(artifact)})");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await _host.SignaturesAsync(artifact) == 1, Patience), "the released image was not signed");
        Assert.False(await LabelledAsync(artifact), "the quarantine label is still attached");
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(Delivered("exception-decided", id).Count == 1), Patience),
            "the requester's team was not told of the approval");

        // The audit trail: each step in the history, the re-evaluation's decision naming the request's exception.
        Assert.Equal(["EXCEPTION_REQUESTED", "EXCEPTION_APPROVED", "EXCEPTION_REEVALUATION"], await HistoryAsync(artifact));
        using var detail = await api.GetAsync($"/api/v1/artifacts/{artifact.Digest}");
        var body = await detail.Content.ReadFromJsonAsync<JsonElement>();
        var states = body.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("toState").GetString()).ToList();
        Assert.Equal([ArtifactStates.Quarantined, ArtifactStates.Released, ArtifactStates.Approved], states.SkipWhile(s => s != ArtifactStates.Quarantined).Distinct());
        var last = body.GetProperty("decisions").EnumerateArray().Last();
        // Not blocked any more; the two HIGH findings (package-2, package-3) still warn under the built-in warn threshold.
        Assert.Equal("Warn", last.GetProperty("verdict").GetString());
        Assert.Contains($"exception request {id}, requested by dave, approved by Alice", last.GetProperty("detail").GetRawText(), StringComparison.Ordinal);
        Assert.Contains($"exception request {id} approved", last.GetProperty("cause").GetString(), StringComparison.Ordinal);

        // The exceptions in force: the file's and the granted one, side by side.
        var inForce = await api.GetFromJsonAsync<JsonElement>("/api/v1/exceptions");
        Assert.Equal(["policy:package-5", "request:package-4"],
            inForce.EnumerateArray().Select(e => $"{e.GetProperty("source").GetString()}:{e.GetProperty("id").GetString()}"));

        // The preview judges a candidate with the granted exceptions too: the file in force, previewed again, does not
        // block the image (without the grant it would, on package-4).
        using var preview = await api.PostAsync("/api/v1/policy/preview",
            new StringContent(await File.ReadAllTextAsync(_host.PolicyFile), System.Text.Encoding.UTF8, "application/yaml"));
        var impact = await preview.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(preview.IsSuccessStatusCode, impact.GetRawText());
        Assert.True(impact.GetProperty("judged").GetInt32() >= 1, impact.GetRawText());
        var changes = impact.GetProperty("scopes").EnumerateArray().SelectMany(scope => scope.GetProperty("changes").EnumerateArray())
            .Where(c => c.GetProperty("artifact").GetProperty("digest").GetString() == artifact.Digest).Select(c => c.GetProperty("change").GetString());
        Assert.DoesNotContain("blocked", changes);
    }

    [Fact]
    public async Task RequestThenDeny_StaysQuarantined_RequesterNotifiedAndAudited()
    {
        await StartAsync();
        var artifact = await QuarantinedImageAsync();
        using var api = _host.AdminClient();
        var (_, created) = await PostAsync(api, "/api/v1/exceptions/requests", new
        {
            findingId = "package-4", project = Project, digest = artifact.Digest, reason = "please", expires = InDays(7), requester = "dave",
        });
        var id = created.GetProperty("requestId").GetString()!;

        var (status, denied) = await PostAsync(api, $"/api/v1/exceptions/requests/{id}/deny", new { approver = "carol@example.com", comment = "upgrade instead" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("denied", denied.GetProperty("state").GetString());
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(Delivered("exception-decided", id).Count == 1), Patience),
            "the requester's team was not told of the denial");
        var told = Delivered("exception-decided", id)[0].GetProperty("content").GetRawText();
        Assert.Contains("upgrade instead", told, StringComparison.Ordinal);
        Assert.Contains("denied", told, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a late re-evaluation or release would land now
        Assert.Equal(ArtifactStates.Quarantined, await _host.StateAsync(artifact));
        Assert.Equal(0, await _host.SignaturesAsync(artifact));
        Assert.True(await LabelledAsync(artifact));
        Assert.Equal(["EXCEPTION_REQUESTED", "EXCEPTION_DENIED"], await HistoryAsync(artifact));

        // A decided request stays decided.
        var (again, problem) = await PostAsync(api, $"/api/v1/exceptions/requests/{id}/approve", new { approver = "alice" });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Contains("is denied (by carol@example.com", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>name, JSON body ({P} = this test's project, {E7}/{E31} = 7/31 days from today), expected status, expected reason.</summary>
    private static readonly (string Name, string Body, HttpStatusCode Status, string Reason)[] BadRequests =
    [
        ("unknown CVE format", """{"findingId":"CVE-YYYY-004","project":"{P}","reason":"r","expires":"{E7}","requester":"dave"}""",
            HttpStatusCode.BadRequest, "'CVE-YYYY-004' is not a CVE id"),
        ("expiry past the maximum", """{"findingId":"package-4","project":"{P}","reason":"r","expires":"{E31}","requester":"dave"}""",
            HttpStatusCode.BadRequest, "is more than 30 days away"),
        ("expiry in the past", """{"findingId":"package-4","project":"{P}","reason":"r","expires":"2020-01-01","requester":"dave"}""",
            HttpStatusCode.BadRequest, "\"expires\" 2020-01-01 is in the past"),
        ("no requester", """{"findingId":"package-4","project":"{P}","reason":"r","expires":"{E7}"}""",
            HttpStatusCode.BadRequest, "\"requester\" is required"),
        ("scope matching no artifact", """{"findingId":"package-4","project":"{P}","repository":"nothing-here","reason":"r","expires":"{E7}","requester":"dave"}""",
            HttpStatusCode.NotFound, "knows no artifact in project={P} repository=nothing-here"),
        ("not JSON", "findingId=package-4", HttpStatusCode.BadRequest, "not valid JSON"),
    ];

    [Fact]
    public async Task Request_BadInputAndDuplicate_4xxWithTheReasonAndNothingChanged()
    {
        await StartAsync();
        var artifact = await QuarantinedImageAsync();
        using var api = _host.AdminClient();
        string Fill(string s) => s.Replace("{P}", Project, StringComparison.Ordinal)
            .Replace("{E7}", InDays(7), StringComparison.Ordinal).Replace("{E31}", InDays(31), StringComparison.Ordinal);

        foreach (var (name, template, expected, reason) in BadRequests)
        {
            using var response = await api.PostAsync("/api/v1/exceptions/requests", new StringContent(Fill(template), Encoding.UTF8, "application/json"));

            Assert.True(expected == response.StatusCode, $"{name}: got {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(Fill(reason), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Empty((await api.GetFromJsonAsync<JsonElement>("/api/v1/exceptions/requests")).EnumerateArray());
        Assert.Empty(await HistoryAsync(artifact));

        // A second request for the same finding and scope while the first waits: refused, naming the first.
        var body = new { findingId = "package-4", project = Project, reason = "r", expires = InDays(7), requester = "dave" };
        var (_, first) = await PostAsync(api, "/api/v1/exceptions/requests", body);
        var (status, duplicate) = await PostAsync(api, "/api/v1/exceptions/requests", body with { requester = "erin" });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains($"Request {first.GetProperty("requestId").GetString()} by dave", duplicate.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single((await api.GetFromJsonAsync<JsonElement>("/api/v1/exceptions/requests")).EnumerateArray());
        Assert.Equal(ArtifactStates.Quarantined, await _host.StateAsync(artifact));
    }
}
