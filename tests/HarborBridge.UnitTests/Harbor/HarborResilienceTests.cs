using System.Diagnostics;
using System.Net;
using HarborBridge.Core.Harbor;

namespace HarborBridge.UnitTests.Harbor;

public sealed class HarborResilienceTests
{
    private const string Digest = "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
    private const string ProjectJson = """{"project_id":7,"name":"payments"}""";

    private static CancellationToken Ct => TestTimeout.Token();

    /// <summary>Answers with <paramref name="failures"/> first, then 200 with <paramref name="body"/>.</summary>
    private static StubHttpHandler FailingThen(string body, params Func<HttpResponseMessage>[] failures)
    {
        var calls = 0;
        return new StubHttpHandler(_ =>
        {
            var n = Interlocked.Increment(ref calls) - 1;
            return n < failures.Length ? failures[n]() : StubHttpHandler.Json(HttpStatusCode.OK, body);
        });
    }

    private static HttpResponseMessage Unavailable() => StubHttpHandler.Json(HttpStatusCode.ServiceUnavailable, """{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}""");

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Get_TransientStatusThenOk_IsRetried(HttpStatusCode status)
    {
        var stub = FailingThen(ProjectJson, () => StubHttpHandler.Status(status));
        using var services = new HarborTestServices(stub);

        var project = await services.Harbor.GetProjectAsync("payments", Ct);

        Assert.Equal("payments", project!.Name);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task Get_NonTransientStatus_IsNotRetried(HttpStatusCode status)
    {
        var stub = FailingThen(ProjectJson, () => StubHttpHandler.Status(status));
        using var services = new HarborTestServices(stub);

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.GetProjectAsync("payments", Ct));

        Assert.Equal((int)status, error.StatusCode);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task Post_ServiceUnavailable_IsNotRetried()
    {
        var stub = FailingThen("", Unavailable);
        using var services = new HarborTestServices(stub);

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.StartScanAsync("payments", "api", Digest, Ct));

        Assert.Equal(503, error.StatusCode);
        Assert.True(error.IsTransient);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task Post_TooManyRequestsThenAccepted_IsRetried()
    {
        var stub = FailingThen("", () => StubHttpHandler.Status(HttpStatusCode.TooManyRequests, ("Retry-After", "0")));
        using var services = new HarborTestServices(stub);

        await services.Harbor.StartScanAsync("payments", "api", Digest, Ct);

        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task Put_ServiceUnavailableThenOk_IsRetried()
    {
        var stub = FailingThen("", Unavailable);
        using var services = new HarborTestServices(stub);

        await services.Harbor.SetProjectMetadataAsync("payments", HarborProjectMetadata.PreventVulnerable, "true", Ct);

        Assert.Equal(2, stub.Requests.Count);
        Assert.All(stub.Requests, r => Assert.Equal("""{"prevent_vul":"true"}""", r.BodyText));
    }

    [Fact]
    public async Task Get_AlwaysUnavailable_StopsAfterConfiguredRetries()
    {
        var stub = new StubHttpHandler(_ => Unavailable());
        using var services = new HarborTestServices(stub, new Dictionary<string, string?> { ["HarborBridge:Harbor:MaxRetryAttempts"] = "2" });

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.GetProjectAsync("payments", Ct));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal(1 + 2, stub.Requests.Count);
    }

    [Fact]
    public async Task Get_NetworkErrorThenOk_IsRetried()
    {
        var calls = 0;
        var stub = new StubHttpHandler(_ => Interlocked.Increment(ref calls) == 1
            ? throw new HttpRequestException("connection refused")
            : StubHttpHandler.Json(HttpStatusCode.OK, ProjectJson));
        using var services = new HarborTestServices(stub);

        Assert.NotNull(await services.Harbor.GetProjectAsync("payments", Ct));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Get_NetworkErrorEveryTime_ThrowsWithoutStatus()
    {
        var stub = new StubHttpHandler(_ => throw new HttpRequestException("connection refused"));
        using var services = new HarborTestServices(stub, new Dictionary<string, string?> { ["HarborBridge:Harbor:MaxRetryAttempts"] = "1" });

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.GetProjectAsync("payments", Ct));

        Assert.Null(error.StatusCode);
        Assert.True(error.IsTransient);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task Get_RetryAfterOneSecond_WaitsThatLongInsteadOfTheShortBackoff()
    {
        var stub = FailingThen(ProjectJson, () => StubHttpHandler.Status(HttpStatusCode.TooManyRequests, ("Retry-After", "1")));
        using var services = new HarborTestServices(stub);
        var clock = Stopwatch.StartNew();

        await services.Harbor.GetProjectAsync("payments", Ct);

        // The configured base delay is 10 ms; only Retry-After explains a wait near one second.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.Elapsed}");
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task Get_RetryAfterLongerThanAllowed_FailsAtOnce()
    {
        var stub = FailingThen(ProjectJson, () => StubHttpHandler.Status(HttpStatusCode.TooManyRequests, ("Retry-After", "3600")));
        using var services = new HarborTestServices(stub);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<HarborApiException>(() => services.Harbor.GetProjectAsync("payments", Ct));

        Assert.Equal(429, error.StatusCode);
        Assert.Single(stub.Requests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Get_SlowerThanAttemptTimeout_IsRetriedThenSucceeds()
    {
        var calls = 0;
        var stub = new StubHttpHandler(async (_, cancellationToken) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            }

            return StubHttpHandler.Json(HttpStatusCode.OK, ProjectJson);
        });
        using var services = new HarborTestServices(stub, new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:AttemptTimeout"] = "00:00:00.300",
            ["HarborBridge:Harbor:TotalTimeout"] = "00:00:05",
        });

        Assert.NotNull(await services.Harbor.GetProjectAsync("payments", Ct));
        Assert.Equal(2, calls);
    }
}
