using HarborBridge.Contracts;
using HarborBridge.Core.Policy;
using HarborBridge.Exceptions;
using HarborBridge.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.UnitTests.Exceptions;

/// <summary>The request store on SQLite (PostgreSQL runs the same SQL in the integration tests): one pending request per
/// finding and scope, a decision taken once, a grant in force through its last day and not after.</summary>
public sealed class SqlExceptionRequestStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 21, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("web", "api", "sha256:" + new string('a', 64));

    private static ExceptionRequest Request(string id, string finding = "CVE-2024-3094", string expires = "2026-12-20") => new(id,
        new ExceptionRequestDraft(finding, "web", "api", null, "not loaded", DateOnly.Parse(expires, System.Globalization.CultureInfo.InvariantCulture), "dave"),
        "web", Artifact, ExceptionRequestStates.Requested, Now, null, null, null);

    private static Task<SqliteHarness> StartAsync() => SqliteHarness.StartAsync(SqliteHarness.NewFolder("exr-store"),
        s => s.AddSingleton(TimeProvider.System).AddSingleton<SqlExceptionRequestStore>(), _ => { });

    [Fact]
    public async Task Create_SecondPendingForSameFindingAndScope_RefusedUntilTheFirstIsDecided()
    {
        await using var h = await StartAsync();
        var store = h.Get<SqlExceptionRequestStore>();

        Assert.True(await store.CreateAsync(Request("exr-1"), default));
        Assert.False(await store.CreateAsync(Request("exr-2"), default));
        Assert.True(await store.CreateAsync(Request("exr-3", finding: "zlib1g"), default)); // another finding is another request
        Assert.Equal("exr-1", (await store.FindPendingAsync("CVE-2024-3094", "project=web repository=api", default))!.RequestId);

        Assert.True(await store.DecideAsync("exr-1", ExceptionRequestStates.Requested, ExceptionRequestStates.Denied, "alice", Now, "no", null, default));
        Assert.True(await store.CreateAsync(Request("exr-2"), default));
    }

    [Fact]
    public async Task Decide_Approve_GrantsOnceAndInForceThroughItsLastDay()
    {
        await using var h = await StartAsync();
        var store = h.Get<SqlExceptionRequestStore>();
        var request = Request("exr-1");
        await store.CreateAsync(request, default);

        Assert.True(await store.DecideAsync("exr-1", ExceptionRequestStates.Requested, ExceptionRequestStates.Approved, "alice", Now, null,
            request.ToRule("alice"), default));
        Assert.False(await store.DecideAsync("exr-1", ExceptionRequestStates.Requested, ExceptionRequestStates.Denied, "bob", Now, null, null, default));

        var stored = (await store.GetAsync("exr-1", default))!;
        Assert.Equal((ExceptionRequestStates.Approved, "alice", (DateTimeOffset?)Now), (stored.State, stored.DecidedBy, stored.DecidedAt));
        var grant = Assert.Single(await store.InForceAsync(new DateTimeOffset(2026, 12, 20, 23, 59, 0, TimeSpan.Zero), default));
        Assert.Equal(("CVE-2024-3094", "project=web repository=api", "web"), (grant.Id, grant.Scope, grant.Owner));
        Assert.Equal("exception request exr-1, requested by dave, approved by alice", grant.Ticket);
        Assert.True(grant.Covers(Artifact));
        Assert.Empty(await store.InForceAsync(new DateTimeOffset(2026, 12, 21, 0, 0, 0, TimeSpan.Zero), default)); // the day after its last
        Assert.Empty(await store.ListLapsedAsync(new DateTimeOffset(2026, 12, 20, 12, 0, 0, TimeSpan.Zero), default));
        Assert.Equal("exr-1", Assert.Single(await store.ListLapsedAsync(new DateTimeOffset(2026, 12, 21, 0, 0, 0, TimeSpan.Zero), default)).RequestId);
    }

    [Fact]
    public void WithGrantedExceptions_ChangesThePolicyVersionAndKeepsTheFilesExceptionsFirst()
    {
        var file = PolicyLoader.Load("version: 1\nexceptions:\n  - id: package-5\n    reason: r\n");
        var granted = Request("exr-1").ToRule("alice");

        var joined = file.WithGrantedExceptions([granted]);

        Assert.Equal(["package-5", "CVE-2024-3094"], joined.Exceptions.Select(e => e.Id));
        Assert.NotEqual(file.PolicyVersion, joined.PolicyVersion);
        Assert.Equal(joined.PolicyVersion, file.WithGrantedExceptions([granted]).PolicyVersion); // the same grants, the same version
        Assert.Same(file, file.WithGrantedExceptions([]));
    }
}
