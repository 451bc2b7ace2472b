using System.Net;
using System.Text.Json;
using HarborBridge.Cli;
using HarborBridge.UnitTests.Harbor;

namespace HarborBridge.UnitTests.Cli;

public sealed class ReleaseCommandTests
{
    private const string Digest = "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";

    [Fact]
    public async Task Run_Released_PostsReasonWithBearerTokenAndExits0()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, """{"digest":"x","released":["p/r@x"]}"""));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ReleaseCommand.RunAsync(new ReleaseCommand.Request(Digest, "fixed in 1.2.3", "alice", "http://hb.example:8080", "t0ken"),
            stub, output, error, TestTimeout.Token());

        Assert.Equal(0, exit);
        var request = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal($"http://hb.example:8080/api/v1/artifacts/{Digest}/release", request.Uri.ToString());
        Assert.Equal("Bearer t0ken", request.Header("Authorization"));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(("fixed in 1.2.3", "alice"), (body.RootElement.GetProperty("reason").GetString(), body.RootElement.GetProperty("actor").GetString()));
        Assert.Contains("p/r@x", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ServerRefuses_Exit1WithTheProblemText()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Conflict, """{"title":"Not quarantined","detail":"nothing was changed."}"""));
        using var error = new StringWriter();

        var exit = await ReleaseCommand.RunAsync(new ReleaseCommand.Request(Digest, "r", null, "http://hb.example:8080", "t"), stub, TextWriter.Null, error, TestTimeout.Token());

        Assert.Equal(1, exit);
        Assert.Equal("error: HTTP 409: Not quarantined: nothing was changed.", error.ToString().Trim());
    }

    [Theory]
    [InlineData("sha256:abc", "r", "t", "http://x", "is not a digest")]
    [InlineData(Digest, " ", "t", "http://x", "--reason is required")]
    [InlineData(Digest, "r", null, "http://x", "HARBORBRIDGE_ADMIN_TOKEN")]
    [InlineData(Digest, "r", "t", "ftp://x", "is not an http(s) address")]
    public async Task Run_BadInput_Exit2WithoutCallingTheServer(string digest, string reason, string? token, string url, string message)
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.OK));
        using var error = new StringWriter();

        var exit = await ReleaseCommand.RunAsync(new ReleaseCommand.Request(digest, reason, null, url, token), stub, TextWriter.Null, error, TestTimeout.Token());

        Assert.Equal(2, exit);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(stub.Requests);
    }
}
