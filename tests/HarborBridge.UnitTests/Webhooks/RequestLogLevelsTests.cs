using HarborBridge.Hosting;
using Microsoft.AspNetCore.Http;
using Serilog.Events;

namespace HarborBridge.UnitTests.Webhooks;

public sealed class RequestLogLevelsTests
{
    [Theory]
    [InlineData("/webhooks/harbor", 202, LogEventLevel.Debug)]
    [InlineData("/webhooks/harbor", 200, LogEventLevel.Debug)]
    [InlineData("/readyz", 200, LogEventLevel.Debug)]
    [InlineData("/metrics", 200, LogEventLevel.Debug)]
    [InlineData("/webhooks/harbor", 401, LogEventLevel.Information)]
    [InlineData("/webhooks/harbor", 400, LogEventLevel.Information)]
    [InlineData("/webhooks/harbor", 503, LogEventLevel.Error)]
    [InlineData("/readyz", 503, LogEventLevel.Error)]
    [InlineData("/api/v1/artifacts", 200, LogEventLevel.Information)]
    [InlineData("/api/v1/releases", 500, LogEventLevel.Error)]
    public void For_PathAndStatus_GivesLevel(string path, int status, LogEventLevel expected)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        http.Response.StatusCode = status;

        Assert.Equal(expected, RequestLogLevels.For(http, 1.0, null));
    }

    [Fact]
    public void For_AcceptedWebhookThatThrew_IsError()
    {
        var http = new DefaultHttpContext();
        http.Request.Path = "/webhooks/harbor";
        http.Response.StatusCode = 202;

        Assert.Equal(LogEventLevel.Error, RequestLogLevels.For(http, 1.0, new InvalidOperationException("boom")));
    }
}
