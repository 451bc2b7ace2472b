using System.CommandLine;
using System.Net;
using System.Text.Json;
using HarborBridge.Cli;
using HarborBridge.UnitTests.Harbor;

namespace HarborBridge.UnitTests.Cli;

/// <summary><c>harborbridge exceptions …</c>: each verb is one admin API call; the server's refusal is printed with exit 1.</summary>
public sealed class ExceptionsCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> RunAsync(StubHttpHandler stub, string? token, params string[] args)
    {
        var root = new RootCommand { ExceptionsCommand.Create(name => name == "HARBORBRIDGE_ADMIN_TOKEN" ? token : null, stub) };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(["exceptions", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestTimeout.Token());
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Request_PostsTheFieldsWithTheToken_PrintsTheAnswer()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Created, """{"requestId":"exr-1","state":"requested"}"""));

        var run = await RunAsync(stub, "t0ken", "request", "--url", "http://hb.example:8080", "--finding", "CVE-2024-3094", "--project", "web",
            "--repository", "web/*", "--reason", "xz not used", "--expires", "2027-01-31", "--requester", "dave");

        Assert.Equal(0, run.Exit);
        var request = Assert.Single(stub.Requests);
        Assert.Equal((HttpMethod.Post, "http://hb.example:8080/api/v1/exceptions/requests"), (request.Method, request.Uri.ToString()));
        Assert.Equal("Bearer t0ken", request.Header("Authorization"));
        using var body = JsonDocument.Parse(request.Body);
        var b = body.RootElement;
        Assert.Equal(("CVE-2024-3094", "web", "web/*", "xz not used", "2027-01-31", "dave"),
            (b.GetProperty("findingId").GetString(), b.GetProperty("project").GetString(), b.GetProperty("repository").GetString(),
             b.GetProperty("reason").GetString(), b.GetProperty("expires").GetString(), b.GetProperty("requester").GetString()));
        Assert.Contains("exr-1", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_NotAnOwner_Exit1WithTheServersReason()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Forbidden,
            """{"title":"Not an owner","detail":"bob may not decide request exr-1: … may decide: alice."}"""));

        var run = await RunAsync(stub, "t0ken", "approve", "exr-1", "--approver", "bob", "--url", "http://hb.example:8080");

        Assert.Equal(1, run.Exit);
        Assert.Equal("http://hb.example:8080/api/v1/exceptions/requests/exr-1/approve", Assert.Single(stub.Requests).Uri.ToString());
        Assert.Contains("error: HTTP 403: Not an owner: bob may not decide request exr-1: … may decide: alice.", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_WithoutToken_Exit2AndNothingSent()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.OK));

        var run = await RunAsync(stub, null, "list", "--state", "requested");

        Assert.Equal(2, run.Exit);
        Assert.Empty(stub.Requests);
        Assert.Contains("no admin token; set HARBORBRIDGE_ADMIN_TOKEN", run.Err, StringComparison.Ordinal);
    }
}
