using System.Net;

namespace HarborBridge.UnitTests.Harbor;

/// <summary>The light artifact listing reconciliation pages through.</summary>
public sealed class HarborClientReconcileTests
{
    [Fact]
    public async Task ListArtifactsPushed_Range_SendsHarborQueryAndNewestFirst()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, "[]", ("X-Total-Count", "0")));
        using var services = new HarborTestServices(stub);

        await services.Harbor.ListArtifactsPushedAsync("payments", "team/api", new DateTimeOffset(2026, 11, 1, 8, 5, 9, TimeSpan.FromHours(2)),
            new DateTimeOffset(2026, 11, 27, 12, 30, 0, TimeSpan.Zero), 3, 50, TestTimeout.Token());

        var request = Assert.Single(stub.Requests);
        var query = System.Web.HttpUtility.ParseQueryString(request.Uri.Query);
        Assert.Equal("push_time=[2026-11-01 06:05:09~2026-11-27 12:30:00]", query["q"]); // UTC, Harbor's time format
        Assert.Equal("-push_time", query["sort"]);
        Assert.Equal(("3", "50"), (query["page"], query["page_size"]));
        Assert.StartsWith("/api/v2.0/projects/payments/repositories/team%252Fapi/artifacts?", request.RawPathAndQuery);
    }

    [Fact]
    public async Task ListArtifactsPushed_NoBounds_NoQuery()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, "[]", ("X-Total-Count", "0")));
        using var services = new HarborTestServices(stub);

        await services.Harbor.ListArtifactsPushedAsync("payments", "api", null, null, 1, 100, TestTimeout.Token());

        Assert.Null(System.Web.HttpUtility.ParseQueryString(Assert.Single(stub.Requests).Uri.Query)["q"]);
    }
}
