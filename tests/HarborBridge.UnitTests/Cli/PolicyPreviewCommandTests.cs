using System.Net;
using HarborBridge.Cli;
using HarborBridge.UnitTests.Harbor;

namespace HarborBridge.UnitTests.Cli;

public sealed class PolicyPreviewCommandTests : IDisposable
{
    private readonly string _policy = Path.Combine(Path.GetTempPath(), $"hb-preview-cli-{Guid.NewGuid():N}.yaml");

    public PolicyPreviewCommandTests() => File.WriteAllText(_policy, "version: 1\ndefaults:\n  block: { severity: HIGH }\n");

    public void Dispose() => File.Delete(_policy);

    [Fact]
    public async Task Run_Preview_PostsTheFileAsItIsAndPrintsTheImpactAsText()
    {
        const string impact = """
            {"candidateVersion":"sha256:abc","evaluatedAt":"2026-12-05T12:00:00+00:00","judged":2,"unreadable":0,"notes":[],
             "scopes":[{"scope":"defaults","unchanged":1,"changes":[{"artifact":{"project":"team","repository":"app","digest":"sha256:11"},
             "from":"approved","verdict":"block","enforced":true,"change":"blocked","reason":"1 finding(s) at or above the block threshold",
             "findings":[{"id":"CVE-2026-1","package":"openssl","version":"3.0.1","severity":"HIGH","outcome":"block","rule":"block.severity: HIGH >= HIGH"}],
             "fixBy":"2026-12-12T12:00:00+00:00"}]}]}
            """;
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, impact));
        using var output = new StringWriter();

        var exit = await PolicyPreviewCommand.RunAsync(new PolicyPreviewCommand.Request(_policy, "http://hb.example:8080", "t0ken", "api/v1/policy/preview", false),
            stub, output, TextWriter.Null, TestTimeout.Token());

        Assert.Equal(0, exit);
        var request = Assert.Single(stub.Requests);
        Assert.Equal("http://hb.example:8080/api/v1/policy/preview", request.Uri.ToString());
        Assert.Equal("Bearer t0ken", request.Header("Authorization"));
        Assert.Equal(await File.ReadAllBytesAsync(_policy), request.Body);
        var text = output.ToString();
        Assert.Contains("defaults: 1 newly blocked, 0 newly warned, 0 released, 0 cleared, 1 unchanged", text, StringComparison.Ordinal);
        Assert.Contains("BLOCK    team/app@sha256:11  Approved -> BLOCK, quarantined at its fix-by deadline 2026-12-12 12:00:00Z", text, StringComparison.Ordinal);
        Assert.Contains("CVE-2026-1 HIGH openssl 3.0.1: block.severity: HIGH >= HIGH", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, 2)]   // invalid policy: bad input
    [InlineData(HttpStatusCode.Conflict, 1)]     // impact larger than accepted: refused
    public async Task Run_ServerRefuses_ExitCodeAndTheProblemText(HttpStatusCode status, int expected)
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(status, """{"title":"Invalid policy","detail":"candidate policy: line 3, column 3: defaults.blok: unknown key"}"""));
        using var error = new StringWriter();

        var exit = await PolicyPreviewCommand.RunAsync(new PolicyPreviewCommand.Request(_policy, "http://hb.example:8080", "t", "api/v1/policy/accept?acceptImpact=3", false),
            stub, TextWriter.Null, error, TestTimeout.Token());

        Assert.Equal(expected, exit);
        Assert.Equal($"error: HTTP {(int)status}: Invalid policy: candidate policy: line 3, column 3: defaults.blok: unknown key", error.ToString().Trim());
    }

    [Fact]
    public async Task Run_MissingFile_Exit2WithoutCallingTheServer()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.OK));
        using var error = new StringWriter();

        var exit = await PolicyPreviewCommand.RunAsync(new PolicyPreviewCommand.Request(_policy + ".missing", "http://x", "t", "api/v1/policy/preview", false),
            stub, TextWriter.Null, error, TestTimeout.Token());

        Assert.Equal(2, exit);
        Assert.Contains("does not exist", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(stub.Requests);
    }
}
