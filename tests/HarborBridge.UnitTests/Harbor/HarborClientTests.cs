using System.Net;
using System.Text;
using System.Text.Json;
using HarborBridge.Core.Harbor;

namespace HarborBridge.UnitTests.Harbor;

public sealed class HarborClientTests
{
    private const string Digest = "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
    private const string BothReportTypes =
        "application/vnd.security.vulnerability.report; version=1.1, application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";

    private static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "harbor", "api-examples", name));

    private static CancellationToken Ct => TestTimeout.Token();

    [Fact]
    public async Task GetArtifact_NestedRepository_DoubleEncodesNameAndAsksForEverything()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, Fixture("artifact.get.response.json")));
        using var services = new HarborTestServices(stub);

        var artifact = await services.Harbor.GetArtifactAsync("payments", "team/api", Digest, Ct);

        var request = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.StartsWith($"/api/v2.0/projects/payments/repositories/team%252Fapi/artifacts/{Digest}?", request.RawPathAndQuery);
        foreach (var flag in new[] { "with_tag=true", "with_label=true", "with_scan_overview=true", "with_accessory=true" })
        {
            Assert.Contains(flag, request.Uri.Query);
        }

        Assert.Equal(BothReportTypes, request.Header("X-Accept-Vulnerabilities"));
        Assert.Null(request.Header("X-Is-Resource-Name"));

        Assert.NotNull(artifact);
        Assert.Equal(Digest, artifact.Digest);
        Assert.Equal(["1.4.2"], artifact.Tags);
        Assert.Equal("quarantined", Assert.Single(artifact.Labels).Name);
        Assert.Equal("signature.cosign", Assert.Single(artifact.Accessories).Type);
        var overview = Assert.Single(artifact.ScanOverviews);
        Assert.Equal("application/vnd.security.vulnerability.report; version=1.1", overview.MimeType);
        Assert.Equal("Success", overview.ScanStatus);
        Assert.Equal(2, overview.CountsBySeverity["Critical"]);
        Assert.Equal(23, overview.Total);
        Assert.True(artifact.Scannable);
    }

    [Fact]
    public async Task GetArtifact_NotFound_ReturnsNull()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.NotFound, Fixture("error.404.response.json")));
        using var services = new HarborTestServices(stub);

        Assert.Null(await services.Harbor.GetArtifactAsync("payments", "api", "9.9.9", Ct));
    }

    [Fact]
    public async Task GetProject_NumericName_SendsIsResourceNameHeader()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK,
            """{"project_id":7,"name":"2024","metadata":{"prevent_vul":"true","severity":"high"}}"""));
        using var services = new HarborTestServices(stub);

        var project = await services.Harbor.GetProjectAsync("2024", Ct);

        var request = Assert.Single(stub.Requests);
        Assert.Equal("/api/v2.0/projects/2024", request.RawPathAndQuery);
        Assert.Equal("true", request.Header("X-Is-Resource-Name"));
        Assert.Equal("high", project!.Metadata["severity"]);
    }

    [Fact]
    public async Task AnyCall_UsesBasicAuthWithTheRobotAndARequestId()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, "\"Pong\""));
        using var services = new HarborTestServices(stub);

        Assert.True(await services.Harbor.PingAsync(Ct));

        var request = Assert.Single(stub.Requests);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("robot$payments+harborbridge:s3cret-Robot"));
        Assert.Equal(expected, request.Header("Authorization"));
        Assert.True(Guid.TryParse(request.Header("X-Request-Id"), out _));
    }

    [Fact]
    public async Task Calls_AfterHarborSetsSessionCookie_SendNoCookie()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, "\"Pong\"", ("Set-Cookie", "sid=abc123; Path=/; HttpOnly")));
        using var services = new HarborTestServices(stub);

        await services.Harbor.PingAsync(Ct);
        await services.Harbor.SetProjectMetadataAsync("payments", "prevent_vul", "true", Ct);

        Assert.Equal(2, stub.Requests.Count);
        Assert.All(stub.Requests, r => Assert.Null(r.Header("Cookie")));
    }

    [Fact]
    public async Task DeleteArtifact_ImmutableTag_ThrowsWithHarborCodeMessageAndRequestId()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.PreconditionFailed,
            """{"errors":[{"code":"PRECONDITION","message":"the tag 1.4.2 is immutable, cannot be deleted"}]}""",
            ("X-Request-Id", "req-4711")));
        using var services = new HarborTestServices(stub);

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.DeleteArtifactAsync("payments", "team/api", Digest, Ct));

        Assert.Equal(412, error.StatusCode);
        Assert.Equal("PRECONDITION", error.Code);
        Assert.Equal("the tag 1.4.2 is immutable, cannot be deleted", Assert.Single(error.Errors).Message);
        Assert.Equal("req-4711", error.RequestId);
        Assert.False(error.IsTransient);
        Assert.Contains("req-4711", error.Message);
    }

    [Fact]
    public async Task Error_WithoutJsonBody_StillCarriesStatus()
    {
        var stub = new StubHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent("<html>denied</html>") });
        using var services = new HarborTestServices(stub);

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.GetSystemInfoAsync(Ct));

        Assert.Equal(403, error.StatusCode);
        Assert.Empty(error.Errors);
        Assert.Null(error.Code);
    }

    [Fact]
    public async Task StartScan_AlreadyRunning_ReportsInsteadOfThrowing()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Conflict, Fixture("error.409.scan-in-progress.response.json")));
        using var services = new HarborTestServices(stub);

        var result = await services.Harbor.StartScanAsync("payments", "team/api", Digest, Ct);

        Assert.Equal(ScanStartResult.AlreadyRunning, result);
        var request = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal($"/api/v2.0/projects/payments/repositories/team%252Fapi/artifacts/{Digest}/scan", request.RawPathAndQuery);
        Assert.Equal("""{"scan_type":"vulnerability"}""", request.BodyText);
    }

    [Fact]
    public async Task StartScan_Accepted_ReportsStarted()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.Accepted));
        using var services = new HarborTestServices(stub);

        Assert.Equal(ScanStartResult.Started, await services.Harbor.StartScanAsync("payments", "api", Digest, Ct));
    }

    [Fact]
    public async Task GetVulnerabilityReport_MapKeyedByMimeType_ReturnsTheReportObject()
    {
        var body = Fixture("vulnerabilities_addition.response.json");
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, body));
        using var services = new HarborTestServices(stub);

        var report = await services.Harbor.GetVulnerabilityReportAsync("payments", "team/api", Digest, Ct);

        Assert.Equal(BothReportTypes, Assert.Single(stub.Requests).Header("X-Accept-Vulnerabilities"));
        Assert.NotNull(report);
        Assert.Equal("application/vnd.security.vulnerability.report; version=1.1", report.MimeType);
        using var parsed = JsonDocument.Parse(report.Json);
        Assert.Equal(2, parsed.RootElement.GetProperty("vulnerabilities").GetArrayLength());
        Assert.Equal("CVE-2019-18276", parsed.RootElement.GetProperty("vulnerabilities")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task GetVulnerabilityReport_EmptyObject_ReturnsNull()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, "{}"));
        using var services = new HarborTestServices(stub);

        Assert.Null(await services.Harbor.GetVulnerabilityReportAsync("payments", "api", Digest, Ct));
    }

    [Fact]
    public async Task GetVulnerabilityReport_OnlyLegacyType_ReturnsItUnderThatType()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK,
            """{"application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0":{"severity":"Low","vulnerabilities":[]}}"""));
        using var services = new HarborTestServices(stub);

        var report = await services.Harbor.GetVulnerabilityReportAsync("payments", "api", Digest, Ct);

        Assert.Equal("application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0", report!.MimeType);
    }

    [Fact]
    public async Task ListProjects_ReadsTotalCountAndNextLink()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK,
            """[{"project_id":1,"name":"a"},{"project_id":2,"name":"b"}]""",
            ("X-Total-Count", "5"),
            ("Link", "</api/v2.0/projects?page=1&page_size=2>; rel=\"prev\" , </api/v2.0/projects?page=3&page_size=2>; rel=\"next\"")));
        using var services = new HarborTestServices(stub);

        var page = await services.Harbor.ListProjectsAsync(2, 2, Ct);

        Assert.Equal(["a", "b"], page.Items.Select(p => p.Name));
        Assert.Equal(5, page.TotalCount);
        Assert.True(page.HasNextPage);
        Assert.Equal("/api/v2.0/projects?page=2&page_size=2", Assert.Single(stub.Requests).RawPathAndQuery);
    }

    [Fact]
    public async Task ListProjects_LastPage_HasNoNext()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, """[{"project_id":5,"name":"e"}]""",
            ("X-Total-Count", "5"), ("Link", "</api/v2.0/projects?page=2&page_size=2>; rel=\"prev\"")));
        using var services = new HarborTestServices(stub);

        var page = await services.Harbor.ListProjectsAsync(3, 2, Ct);

        Assert.False(page.HasNextPage);
    }

    [Fact]
    public async Task CreateWebhookPolicy_DisabledModel_IsCreatedEnabledAndIdComesFromLocation()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.Created, ("Location", "/api/v2.0/projects/7/webhook/policies/3")));
        using var services = new HarborTestServices(stub);
        var policy = new HarborWebhookPolicy(0, "harborbridge", null, Enabled: false, ["PUSH_ARTIFACT", "SCANNING_COMPLETED"],
            [new HarborWebhookTarget("http", "https://hb.example.com/webhooks/harbor", "Bearer x", false, "CloudEvents")]);

        var id = await services.Harbor.CreateWebhookPolicyAsync("payments", policy, Ct);

        Assert.Equal(3, id);
        var request = Assert.Single(stub.Requests);
        Assert.Equal("/api/v2.0/projects/payments/webhook/policies", request.RawPathAndQuery);
        Assert.Equal("true", request.Header("X-Is-Resource-Name"));
        using var body = JsonDocument.Parse(request.Body);
        Assert.True(body.RootElement.GetProperty("enabled").GetBoolean());
        Assert.Equal("Bearer x", body.RootElement.GetProperty("targets")[0].GetProperty("auth_header").GetString());
        Assert.False(body.RootElement.TryGetProperty("id", out _));
    }

    [Fact]
    public async Task CopyArtifact_FromIsAQueryValueEncodedOnce()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.Created));
        using var services = new HarborTestServices(stub);

        await services.Harbor.CopyArtifactAsync("quarantine", "team/api", "payments", "team/api", Digest, Ct);

        var request = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/v2.0/projects/quarantine/repositories/team%252Fapi/artifacts", request.Uri.AbsolutePath);
        Assert.Equal($"payments/team/api@{Digest}", Uri.UnescapeDataString(request.Uri.Query["?from=".Length..]));
        Assert.DoesNotContain("%25", request.Uri.Query);
    }

    [Fact]
    public async Task UpdateProject_SendsStringMetadataAndTheWholeAllowlist()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.OK));
        using var services = new HarborTestServices(stub);
        var update = new HarborProjectUpdate(
            new Dictionary<string, string> { [HarborProjectMetadata.PreventVulnerable] = "true", [HarborProjectMetadata.Severity] = "high" },
            new HarborCveAllowlist(7, DateTimeOffset.FromUnixTimeSeconds(1798761600), ["CVE-2019-18276"]));

        await services.Harbor.UpdateProjectAsync("payments", update, Ct);

        var request = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Put, request.Method);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(JsonValueKind.String, body.RootElement.GetProperty("metadata").GetProperty("prevent_vul").ValueKind);
        var allowlist = body.RootElement.GetProperty("cve_allowlist");
        Assert.Equal(1798761600, allowlist.GetProperty("expires_at").GetInt64());
        Assert.Equal("CVE-2019-18276", allowlist.GetProperty("items")[0].GetProperty("cve_id").GetString());
    }

    private static NewHarborProject QuarantineProject() => new("quarantine", new Dictionary<string, string>
    {
        [HarborProjectMetadata.Public] = "false",
        [HarborProjectMetadata.PreventVulnerable] = "true",
        [HarborProjectMetadata.Severity] = "none",
        [HarborProjectMetadata.AutoScan] = "false",
    });

    [Fact]
    public async Task CreateProject_Created_PostsTheProjectReqOfHarborsExampleAndReturnsTrue()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.Created, ("Location", "/api/v2.0/projects/12")));
        using var services = new HarborTestServices(stub);

        Assert.True(await services.Harbor.CreateProjectAsync(QuarantineProject(), Ct));

        var request = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/v2.0/projects", request.RawPathAndQuery);
        using var sent = JsonDocument.Parse(request.Body);
        using var example = JsonDocument.Parse(Fixture("project.create.quarantine.request.json"));
        Assert.Equal("quarantine", sent.RootElement.GetProperty("project_name").GetString());
        Assert.Equal(
            example.RootElement.GetProperty("metadata").EnumerateObject().Select(p => (p.Name, p.Value.GetString())).OrderBy(p => p.Name),
            sent.RootElement.GetProperty("metadata").EnumerateObject().Select(p => (p.Name, p.Value.GetString())).OrderBy(p => p.Name));
        Assert.False(sent.RootElement.TryGetProperty("cve_allowlist", out _), "no allowlist is sent with a new project");
    }

    [Fact]
    public async Task CreateProject_NameTaken_ReturnsFalse()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Conflict,
            """{"errors":[{"code":"CONFLICT","message":"The project named quarantine already exists"}]}"""));
        using var services = new HarborTestServices(stub);

        Assert.False(await services.Harbor.CreateProjectAsync(QuarantineProject(), Ct));
    }

    [Fact]
    public async Task CreateProject_Forbidden_ThrowsWithStatusAndOperation()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Forbidden, """{"errors":[{"code":"FORBIDDEN","message":"forbidden"}]}"""));
        using var services = new HarborTestServices(stub);

        var e = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.CreateProjectAsync(QuarantineProject(), Ct));

        Assert.Equal(403, e.StatusCode);
        Assert.Equal("create project", e.Operation);
        Assert.Equal("FORBIDDEN", e.Code);
    }

    [Fact]
    public async Task RemoveLabel_NotAttached_ReturnsFalse()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.NotFound, """{"errors":[{"code":"NOT_FOUND","message":"not found"}]}"""));
        using var services = new HarborTestServices(stub);

        Assert.False(await services.Harbor.RemoveLabelAsync("payments", "api", Digest, 4, Ct));
        Assert.Equal($"/api/v2.0/projects/payments/repositories/api/artifacts/{Digest}/labels/4", Assert.Single(stub.Requests).RawPathAndQuery);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/team/api")]
    [InlineData("team/api/")]
    public async Task Calls_BadRepositoryName_FailBeforeSending(string repository)
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.OK));
        using var services = new HarborTestServices(stub);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => services.Harbor.GetArtifactAsync("payments", repository, Digest, Ct));
        Assert.Empty(stub.Requests);
    }
}
