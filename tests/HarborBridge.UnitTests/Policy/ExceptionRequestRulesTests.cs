using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Policy;

/// <summary>The checks an exception request passes before anyone is asked to approve it. Expected messages and dates are
/// worked out by hand from the request and "today" (2026-12-05 UTC).</summary>
public sealed class ExceptionRequestRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 21, 0, 0, TimeSpan.Zero);
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("CVE-2024-3094")]
    [InlineData("CVE-2021-44228")]
    [InlineData("GHSA-jfh8-c2jp-5v3q")]
    [InlineData("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1")]
    [InlineData("pkg:npm/%40babel/traverse")]
    [InlineData("zlib1g")]
    [InlineData("github.com/golang/protobuf")]
    [InlineData("org.apache.logging.log4j:log4j-core")]
    [InlineData("@babel/traverse")]
    public void IdProblem_FormsThePolicyFileMatches_Accepted(string id) => Assert.Null(ExceptionRequestRules.IdProblem(id));

    [Theory]
    [InlineData("CVE-YYYY-004", "is not a CVE id")]        // the placeholder ids of Harbor's own test reports
    [InlineData("CVE-2024-123", "is not a CVE id")]        // fewer than 4 digits after the year
    [InlineData("cve-2024-3094", "is not a CVE id")]       // scanners report upper case; a lower-case id would never match
    [InlineData("GHSA-1234-5678-9abc", "is not a GitHub advisory id")] // 1, a and b are not in GitHub's alphabet
    [InlineData("pkg:zlib1g", "is not a package URL")]     // no type/name separator
    [InlineData("CVE 2024 3094", "is neither a CVE id")]
    [InlineData("zlib 1g", "is neither a CVE id")]
    [InlineData("", "\"findingId\" is required")]
    public void IdProblem_UnknownFormat_NamesTheExpectedForm(string id, string expected) =>
        Assert.Contains(expected, ExceptionRequestRules.IdProblem(id), StringComparison.Ordinal);

    [Theory]
    [InlineData("2026-12-05", 90, null)]                    // today: the exception holds until the end of the day
    [InlineData("2027-03-05", 90, null)]                    // 26 days left of December + 31 + 28 + 5 = 90
    [InlineData("2027-03-06", 90, "more than 90 days away; the policy allows at most 2027-03-05")]
    [InlineData("2026-12-12", 7, null)]
    [InlineData("2026-12-13", 7, "at most 2026-12-12 (exceptionRequests.maxDays: 7)")]
    [InlineData("2026-12-04", 90, "\"expires\" 2026-12-04 is in the past (today is 2026-12-05 UTC)")]
    public void ExpiryProblem_AgainstTodayAndMaximum(string expires, int maxDays, string? expected)
    {
        var problem = ExceptionRequestRules.ExpiryProblem(DateOnly.Parse(expires, System.Globalization.CultureInfo.InvariantCulture), Now, maxDays);

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expected, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Check_GoodRequest_NormalFormCoversOnlyItsScope()
    {
        var (draft, problem) = ExceptionRequestRules.Check(" CVE-2024-3094 ", "web", "web/*", Digest, " not reachable ", "2027-01-01", "alice", Now, 90);

        Assert.Null(problem);
        Assert.Equal(new ExceptionRequestDraft("CVE-2024-3094", "web", "web/*", Digest, "not reachable", new DateOnly(2027, 1, 1), "alice"), draft);
        Assert.Equal($"project=web repository=web/* digest={Digest}", draft!.Scope);
        Assert.True(draft.Covers(new ArtifactRef("web", "web/api", Digest)));
        Assert.False(draft.Covers(new ArtifactRef("web", "api", Digest)));
        Assert.False(draft.Covers(new ArtifactRef("pay", "web/api", Digest)));
    }

    [Theory]
    [InlineData("CVE-2024-3094", "web", null, null, "r", "2027-01-01", "alice", null)]
    [InlineData("CVE-2024-3094", "", null, null, "r", "2027-01-01", "alice", "\"project\" is required")]
    [InlineData("CVE-2024-3094", "web", "[ab", null, "r", "2027-01-01", "alice", "\"repository\" '[ab' is not a valid pattern")]
    [InlineData("CVE-2024-3094", "web", null, "sha256:abc", "r", "2027-01-01", "alice", "is not a digest")]
    [InlineData("CVE-2024-3094", "web", null, null, " ", "2027-01-01", "alice", "\"reason\" is required")]
    [InlineData("CVE-2024-3094", "web", null, null, "r", "01/01/2027", "alice", "\"expires\" '01/01/2027' is not a date in the form YYYY-MM-DD")]
    [InlineData("CVE-2024-3094", "web", null, null, "r", "2027-01-01", "", "\"requester\" is required")]
    [InlineData("CVE-2024-3094", "web", null, null, "r", "2027-12-31", "alice", "more than 90 days away")]
    public void Check_EachField_FirstProblemNamed(string id, string project, string? repository, string? digest, string reason, string expires,
        string requester, string? expected)
    {
        var (draft, problem) = ExceptionRequestRules.Check(id, project, repository, digest, reason, expires, requester, Now, 90);

        if (expected is null)
        {
            Assert.NotNull(draft);
            Assert.Null(problem);
        }
        else
        {
            Assert.Null(draft);
            Assert.Contains(expected, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PolicyLoader_ExceptionRequestsMaxDays_ReadAndDefaulted()
    {
        Assert.Equal(30, PolicyLoader.Load("version: 1\nexceptionRequests: { maxDays: 30 }\n").ExceptionRequestMaxDaysInForce);
        Assert.Equal(90, PolicyLoader.Load("version: 1\n").ExceptionRequestMaxDaysInForce);
        // The key changes nothing for policies without it: their version (hash) stays what it was.
        Assert.Equal(PolicyLoader.Load("version: 1\n").PolicyVersion, PolicyLoader.Load("version: 1\nexceptionRequests: {}\n").PolicyVersion);
    }

    [Theory]
    [InlineData("version: 1\nexceptionRequests: { maxDays: 0 }\n", "line 2, column 31: exceptionRequests.maxDays: '0' is not a whole number of days between 1 and 366")]
    [InlineData("version: 1\nexceptionRequests: { maxDays: 1y }\n", "exceptionRequests.maxDays: '1y' is not a whole number")]
    [InlineData("version: 1\nexceptionRequests: { maxDay: 10 }\n", "exceptionRequests.maxDay: unknown key")]
    public void PolicyLoader_BadExceptionRequests_ErrorNamesLineAndField(string yaml, string expected)
    {
        var e = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load(yaml, "policy.yaml"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutingLoader_Approvers_ReadPerTeamAndOwnerFound()
    {
        var routing = RoutingLoader.Load(
            "version: 1\nteams:\n  - name: web\n    match: [{ project: web }]\n    channels: [a]\n    approvers: [alice, bob@example.com]\n" +
            "  - name: pay\n    match: [{ project: pay }]\n    channels: [a]\n", "routing.yaml", ["a"]);

        Assert.Equal(["alice", "bob@example.com"], routing.OwnerOf(new ArtifactRef("web", "api", Digest))!.Approvers);
        Assert.Empty(routing.OwnerOf(new ArtifactRef("pay", "api", Digest))!.Approvers);
        Assert.Null(routing.OwnerOf(new ArtifactRef("other", "api", Digest)));
        // New kinds reach a team that lists no events, like the other artifact kinds.
        Assert.Contains(NotificationKind.ExceptionRequested, routing.Teams[0].Events);
        Assert.Contains(NotificationKind.ExceptionDecided, routing.Teams[0].Events);
    }

    [Theory]
    [InlineData("    approvers: [alice, Alice]\n", "line 6, column 24: teams[0].approvers[1]: 'Alice' is listed twice")]
    [InlineData("    approvers: [\"\"]\n", "teams[0].approvers[0]: an approver is a user name or e-mail address")]
    [InlineData("    approvers: alice\n", "teams[0].approvers: expected a list")]
    public void RoutingLoader_BadApprovers_ErrorNamesLineAndField(string line, string expected)
    {
        var e = Assert.Throws<RoutingFileException>(() => RoutingLoader.Load(
            "version: 1\nteams:\n  - name: web\n    match: [{ project: web }]\n    channels: [a]\n" + line, "routing.yaml", ["a"]));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
