using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HarborBridge.IntegrationTests.Infrastructure;

namespace HarborBridge.IntegrationTests.Policy;

/// <summary><c>POST /api/v1/policy/preview</c> and <c>/accept</c> on the embedded default (SQLite, in-memory transport): the
/// admin token is required, and an invalid policy is refused with the loader's message naming the line and field.</summary>
public sealed class PolicyApiTests : IAsyncLifetime
{
    private const string AdminToken = "policy-api-admin-token-0123456789abcdef";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hb-policy-api-" + Guid.NewGuid().ToString("N"));
    private HarborBridgeFactory? _factory;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var policy = Path.Combine(_dir, "policy.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\n");
        _factory = new HarborBridgeFactory(new Dictionary<string, string?>
        {
            ["HarborBridge:Webhook:AuthHeader"] = HarborBridgeFactory.AuthHeader,
            ["HarborBridge:Admin:Token"] = AdminToken,
            ["HarborBridge:Database:ConnectionString"] = $"Data Source={Path.Combine(_dir, "hb.db")}",
            ["HarborBridge:Policy:File"] = policy,
            ["HarborBridge:Logging:Console"] = "false",
        });
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? token)
    {
        using var client = _factory!.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/yaml") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("/api/v1/policy/preview", null)]
    [InlineData("/api/v1/policy/preview", "wrong-token-0123456789abcdef-0123456789")]
    [InlineData("/api/v1/policy/accept?acceptImpact=0", null)]
    [InlineData("/api/v1/policy/accept?acceptImpact=0", "wrong-token-0123456789abcdef-0123456789")]
    public async Task Post_WithoutTheAdminToken_401(string path, string? token)
    {
        using var response = await PostAsync(path, "version: 1\n", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/policy/preview")]
    [InlineData("/api/v1/policy/accept?acceptImpact=5")]
    public async Task Post_InvalidPolicy_400WithTheLoadersMessage(string path)
    {
        // "blok" is not a key: the loader names it with its line and column.
        using var response = await PostAsync(path, "version: 1\ndefaults:\n  blok: { severity: HIGH }\n", AdminToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("defaults.blok", detail, StringComparison.Ordinal);
        Assert.Contains("unknown key", detail, StringComparison.Ordinal);
        Assert.Contains("line 3", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_InputFileOutsideThePolicyFolder_400AndNotRead()
    {
        using var response = await PostAsync("/api/v1/policy/preview", "version: 1\nepss: { file: /etc/passwd }\n", AdminToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("/etc/passwd is outside the policy folder", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_WithoutAcceptImpact_400()
    {
        using var response = await PostAsync("/api/v1/policy/accept", "version: 1\n", AdminToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Preview_EmptyStore_200WithNothingJudged()
    {
        using var response = await PostAsync("/api/v1/policy/preview", "version: 1\ndefaults:\n  block: { severity: LOW }\n", AdminToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var impact = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, impact.RootElement.GetProperty("judged").GetInt32());
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
