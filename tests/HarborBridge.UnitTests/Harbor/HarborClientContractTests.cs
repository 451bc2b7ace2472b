using System.Net;
using System.Text;
using HarborBridge.Core.Harbor;

namespace HarborBridge.UnitTests.Harbor;

/// <summary>Every request the Harbor client can make, checked against Harbor's swagger.yaml.</summary>
public sealed class HarborClientContractTests
{
    private const string Digest = "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
    private static readonly Lazy<HarborSwaggerContract> Contract = new(HarborSwaggerContract.Load);

    private static readonly HarborWebhookPolicy Policy = new(0, "harborbridge", "HarborBridge intake", true,
        ["PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED"],
        [new HarborWebhookTarget("http", "https://hb.example.com/webhooks/harbor", "Bearer secret", false, "CloudEvents")]);

    /// <summary>One call per <see cref="IHarborClient"/> method, named after it.</summary>
    private static readonly (string Method, Func<IHarborClient, CancellationToken, Task> Call)[] Cases =
    [
        (nameof(IHarborClient.PingAsync), (c, ct) => c.PingAsync(ct)),
        (nameof(IHarborClient.GetSystemInfoAsync), (c, ct) => c.GetSystemInfoAsync(ct)),
        (nameof(IHarborClient.GetArtifactAsync), (c, ct) => c.GetArtifactAsync("payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.StartScanAsync), (c, ct) => c.StartScanAsync("payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.StopScanAsync), (c, ct) => c.StopScanAsync("payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.GetVulnerabilityReportAsync), (c, ct) => c.GetVulnerabilityReportAsync("payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.GetProjectAsync), (c, ct) => c.GetProjectAsync("payments", ct)),
        (nameof(IHarborClient.UpdateProjectAsync), (c, ct) => c.UpdateProjectAsync("payments", new HarborProjectUpdate(
            new Dictionary<string, string>
            {
                [HarborProjectMetadata.PreventVulnerable] = "true",
                [HarborProjectMetadata.Severity] = "high",
                [HarborProjectMetadata.EnableContentTrustCosign] = "true",
                [HarborProjectMetadata.AutoScan] = "false",
                [HarborProjectMetadata.Public] = "false",
            },
            new HarborCveAllowlist(7, DateTimeOffset.FromUnixTimeSeconds(1798761600), ["CVE-2019-18276"])), ct)),
        (nameof(IHarborClient.GetSystemCveAllowlistAsync), (c, ct) => c.GetSystemCveAllowlistAsync(ct)),
        (nameof(IHarborClient.CreateProjectAsync), (c, ct) => c.CreateProjectAsync(new NewHarborProject("quarantine", new Dictionary<string, string>
            {
                [HarborProjectMetadata.Public] = "false",
                [HarborProjectMetadata.PreventVulnerable] = "true",
                [HarborProjectMetadata.Severity] = "none",
                [HarborProjectMetadata.AutoScan] = "false",
            }), ct)),
        (nameof(IHarborClient.GetProjectMetadataAsync), (c, ct) => c.GetProjectMetadataAsync("payments", ct)),
        (nameof(IHarborClient.SetProjectMetadataAsync), (c, ct) => c.SetProjectMetadataAsync("payments", HarborProjectMetadata.Severity, "critical", ct)),
        (nameof(IHarborClient.DeleteProjectMetadataAsync), (c, ct) => c.DeleteProjectMetadataAsync("payments", HarborProjectMetadata.PreventVulnerable, ct)),
        (nameof(IHarborClient.ListProjectsAsync), (c, ct) => c.ListProjectsAsync(2, 100, ct)),
        (nameof(IHarborClient.ListRepositoriesAsync), (c, ct) => c.ListRepositoriesAsync("payments", 1, 10, ct)),
        (nameof(IHarborClient.ListArtifactsAsync), (c, ct) => c.ListArtifactsAsync("payments", "team/api", 1, 10, ct)),
        (nameof(IHarborClient.ListArtifactsPushedAsync), (c, ct) => c.ListArtifactsPushedAsync("payments", "team/api",
            new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 27, 12, 30, 0, TimeSpan.Zero), 2, 100, ct)),
        (nameof(IHarborClient.CreateLabelAsync), (c, ct) => c.CreateLabelAsync(new NewHarborLabel("quarantined", "failed policy", "#C92100", "g", null), ct)),
        (nameof(IHarborClient.FindLabelsAsync), (c, ct) => c.FindLabelsAsync("hb-approved", "p", 7, ct)),
        (nameof(IHarborClient.AddLabelAsync), (c, ct) => c.AddLabelAsync("payments", "team/api", Digest, 4, ct)),
        (nameof(IHarborClient.RemoveLabelAsync), (c, ct) => c.RemoveLabelAsync("payments", "team/api", Digest, 4, ct)),
        (nameof(IHarborClient.ListAccessoriesAsync), (c, ct) => c.ListAccessoriesAsync("payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.CopyArtifactAsync), (c, ct) => c.CopyArtifactAsync("quarantine", "team/api", "payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.DeleteArtifactAsync), (c, ct) => c.DeleteArtifactAsync("payments", "team/api", Digest, ct)),
        (nameof(IHarborClient.DeleteTagAsync), (c, ct) => c.DeleteTagAsync("payments", "team/api", Digest, "1.4.2", ct)),
        (nameof(IHarborClient.ListWebhookPoliciesAsync), (c, ct) => c.ListWebhookPoliciesAsync("payments", ct)),
        (nameof(IHarborClient.CreateWebhookPolicyAsync), (c, ct) => c.CreateWebhookPolicyAsync("payments", Policy, ct)),
        (nameof(IHarborClient.UpdateWebhookPolicyAsync), (c, ct) => c.UpdateWebhookPolicyAsync("payments", 3, Policy, ct)),
    ];

    public static TheoryData<string> CaseNames() => new(Cases.Select(c => c.Method));

    private static HttpResponseMessage PlausibleAnswer(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        string[] lists = ["/projects", "/repositories", "/artifacts", "/accessories", "/labels", "/webhook/policies"];
        string[] creates = ["/api/v2.0/labels", "/api/v2.0/projects", "/webhook/policies"];
        if (request.Method == HttpMethod.Post && creates.Any(c => path.EndsWith(c, StringComparison.Ordinal)))
        {
            return StubHttpHandler.Status(HttpStatusCode.Created, ("Location", path + "/1"));
        }

        if (request.Method == HttpMethod.Get && lists.Any(l => path.EndsWith(l, StringComparison.Ordinal)))
        {
            return StubHttpHandler.Json(HttpStatusCode.OK, "[]", ("X-Total-Count", "0"));
        }

        return StubHttpHandler.Json(HttpStatusCode.OK, "{}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Operation_FollowsSwagger(string method)
    {
        var stub = new StubHttpHandler(PlausibleAnswer);
        using var services = new HarborTestServices(stub);

        await Cases.Single(c => c.Method == method).Call(services.Harbor, TestTimeout.Token());

        var request = Assert.Single(stub.Requests);
        var problems = Contract.Value.Check(request);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void EveryClientMethod_HasAContractCase()
    {
        var methods = typeof(IHarborClient).GetMethods().Select(m => m.Name).Order().ToList();

        Assert.Equal(methods, Cases.Select(c => c.Method).Order().ToList());
    }

    [Fact]
    public void Swagger_IsHarborsFullSpec() => Assert.Equal(203, Contract.Value.OperationCount);

    private static RecordedRequest Request(string method, string pathAndQuery, string? body = null, params (string, string)[] headers) => new(
        new HttpMethod(method),
        new Uri("https://harbor.test" + pathAndQuery),
        headers.ToDictionary(h => h.Item1, h => h.Item2, StringComparer.OrdinalIgnoreCase),
        body is null ? null : "application/json",
        body is null ? [] : Encoding.UTF8.GetBytes(body));

    [Fact]
    public void Check_MisspeltBodyField_IsReported()
    {
        var problems = Contract.Value.Check(Request("POST", $"/api/v2.0/projects/p/repositories/r/artifacts/{Digest}/scan", """{"scantype":"vulnerability"}"""));

        Assert.Contains(problems, p => p.Contains("body does not match", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_CreateProjectWithBooleanMetadata_IsReported()
    {
        var problems = Contract.Value.Check(Request("POST", "/api/v2.0/projects", """{"project_name":"quarantine","metadata":{"prevent_vul":true}}"""));

        Assert.Contains(problems, p => p.Contains("body does not match", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WrongBodyValueType_IsReported()
    {
        var problems = Contract.Value.Check(Request("PUT", "/api/v2.0/projects/p", """{"metadata":{"prevent_vul":true}}""", ("X-Is-Resource-Name", "true")));

        Assert.Contains(problems, p => p.Contains("body does not match", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_RepositoryEncodedOnlyOnce_IsReported()
    {
        var problems = Contract.Value.Check(Request("GET", $"/api/v2.0/projects/p/repositories/team%2Fapi/artifacts/{Digest}"));

        Assert.Contains(problems, p => p.Contains("encoded twice", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_UndeclaredQueryParameterOrHeader_IsReported()
    {
        var problems = Contract.Value.Check(Request("GET", $"/api/v2.0/projects/p/repositories/r/artifacts/{Digest}?with_scan_overviews=true",
            null, ("X-Is-Resource-Name", "true")));

        Assert.Contains(problems, p => p.Contains("'with_scan_overviews' is not declared", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("header 'X-Is-Resource-Name' is not declared", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_MissingRequiredBody_IsReported()
    {
        var problems = Contract.Value.Check(Request("POST", $"/api/v2.0/projects/p/repositories/r/artifacts/{Digest}/scan/stop"));

        Assert.Contains(problems, p => p.Contains("body is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_UnknownPathOrMethod_IsReported()
    {
        Assert.Contains(Contract.Value.Check(Request("GET", "/api/v2.0/projectz/p")), p => p.Contains("no path template", StringComparison.Ordinal));
        Assert.Contains(Contract.Value.Check(Request("PATCH", "/api/v2.0/projects/p")), p => p.Contains("no PATCH operation", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_PageSizeAboveMaximum_IsReported()
    {
        var problems = Contract.Value.Check(Request("GET", "/api/v2.0/projects?page=1&page_size=500"));

        Assert.Contains(problems, p => p.Contains("above the maximum", StringComparison.Ordinal));
    }
}
