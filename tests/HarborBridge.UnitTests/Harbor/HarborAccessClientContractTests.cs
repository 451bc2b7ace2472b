using System.Net;
using HarborBridge.Core.Harbor;

namespace HarborBridge.UnitTests.Harbor;

/// <summary>Every request of the robot and permission calls (<see cref="IHarborAccessClient"/>), checked against
/// Harbor's swagger.yaml like <see cref="HarborClientContractTests"/>.</summary>
public sealed class HarborAccessClientContractTests
{
    private static readonly Lazy<HarborSwaggerContract> Contract = new(HarborSwaggerContract.Load);

    private static readonly HarborRobot Robot = new(12, "harborbridge", "robot$harborbridge", "system", "HarborBridge", false, -1,
        [new HarborRobotPermission("project", "payments", [new HarborAccess("artifact", "read"), new HarborAccess("artifact-label", "create")])]);

    private static readonly (string Method, Func<IHarborAccessClient, CancellationToken, Task> Call)[] Cases =
    [
        (nameof(IHarborAccessClient.ListSystemRobotsAsync), (c, ct) => c.ListSystemRobotsAsync("harborbridge", ct)),
        (nameof(IHarborAccessClient.CreateRobotAsync), (c, ct) => c.CreateRobotAsync(Robot with { Id = 0 }, ct)),
        (nameof(IHarborAccessClient.UpdateRobotAsync), (c, ct) => c.UpdateRobotAsync(Robot, ct)),
        (nameof(IHarborAccessClient.GetCurrentPermissionsAsync), (c, ct) => c.GetCurrentPermissionsAsync(7, ct)),
    ];

    public static TheoryData<string> CaseNames() => new(Cases.Select(c => c.Method));

    private static HttpResponseMessage PlausibleAnswer(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post
            ? StubHttpHandler.Json(HttpStatusCode.Created, """{"id":12,"name":"robot$harborbridge","secret":"x"}""", ("Location", "/api/v2.0/robots/12"))
            : request.Method == HttpMethod.Get
                ? StubHttpHandler.Json(HttpStatusCode.OK, "[]", ("X-Total-Count", "0"))
                : StubHttpHandler.Json(HttpStatusCode.OK, "{}");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Operation_FollowsSwagger(string method)
    {
        var stub = new StubHttpHandler(PlausibleAnswer);
        using var services = new HarborTestServices(stub);

        await Cases.Single(c => c.Method == method).Call(services.Access, TestTimeout.Token());

        var request = Assert.Single(stub.Requests);
        var problems = Contract.Value.Check(request);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void EveryAccessClientMethod_HasAContractCase() =>
        Assert.Equal(typeof(IHarborAccessClient).GetMethods().Select(m => m.Name).Order(), Cases.Select(c => c.Method).Order());

    [Fact]
    public async Task ListSystemRobots_ReadsHarborsFullNameAndPermissions()
    {
        // A robot as handler/robot.go ListRobot returns it (model.NewRobot(...).ToSwagger()): the name with its prefix.
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.OK, """
            [{"id":3,"name":"robot$harborbridge","level":"system","disable":true,"duration":-1,"editable":true,
              "permissions":[{"kind":"project","namespace":"web","access":[{"resource":"scan","action":"create","effect":"allow"}]}]}]
            """));
        using var services = new HarborTestServices(stub);

        var robot = Assert.Single(await services.Access.ListSystemRobotsAsync("harborbridge", TestTimeout.Token()));

        Assert.Equal(("harborbridge", "robot$harborbridge", true), (robot.Name, robot.FullName, robot.Disabled));
        var permission = Assert.Single(robot.Permissions);
        Assert.Equal(("project", "web"), (permission.Kind, permission.Namespace));
        Assert.Equal([new HarborAccess("scan", "create")], permission.Access);
        Assert.Contains("q=Level=system,name=~harborbridge", Uri.UnescapeDataString(stub.Requests.Single().RawPathAndQuery), StringComparison.Ordinal);
    }
}
