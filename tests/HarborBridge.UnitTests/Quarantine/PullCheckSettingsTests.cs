using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Quarantine;

namespace HarborBridge.UnitTests.Quarantine;

public sealed class PullCheckSettingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static DecidingFinding Finding(string severity, string outcome = "Block") => new("CVE-2026-0001", "pkg", "1", "2", severity, null, outcome);

    [Theory]
    [InlineData(Severity.Critical, new[] { "CRITICAL" }, "critical")]
    [InlineData(Severity.Critical, new[] { "Critical", "Medium" }, "medium")] // a CVSS rule blocked a Medium finding too
    [InlineData(Severity.High, new string[0], "high")]
    [InlineData(Severity.Unknown, new string[0], "none")] // Harbor has no 'unknown' threshold
    [InlineData(null, new string[0], "critical")]
    public void Threshold_BlockSeverityAndBlockingFindings_LowestWins(Severity? block, string[] blocking, string expected)
    {
        var findings = blocking.Select(s => Finding(s)).Append(Finding("LOW", "Warn"));

        Assert.Equal(expected, PullCheckSettings.Threshold(block, findings));
    }

    [Fact]
    public void Allowlist_ProjectWideExceptions_MirroredWithEarliestExpiry()
    {
        var prior = new HarborCveAllowlist(7, new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero), ["CVE-2000-0001"]);
        PolicyExceptionRule[] exceptions =
        [
            Exception("CVE-2021-44228", null, null, new DateOnly(2027, 1, 31)),
            Exception("cve-2022-0001", "web*", null, null),
            Exception("CVE-2023-0002", "other", null, null),               // another project
            Exception("CVE-2023-0003", null, "frontend/*", null),         // repository scope: Harbor cannot scope it
            Exception("CVE-2023-0004", null, null, new DateOnly(2026, 11, 26)), // expired yesterday
            Exception("openssl", null, null, null),                       // a package, not a CVE
        ];

        var list = PullCheckSettings.Allowlist(prior, exceptions, "webshop", Now)!;

        Assert.Equal(["CVE-2000-0001", "CVE-2021-44228", "CVE-2022-0001"], list.CveIds);
        Assert.Equal(new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.Zero), list.ExpiresAt); // the end of 31 January
        Assert.Equal(7, list.ProjectId);
    }

    [Fact]
    public void Allowlist_PriorExpired_NotRevived()
    {
        var prior = new HarborCveAllowlist(0, Now.AddDays(-1), ["CVE-2000-0001"]);

        var list = PullCheckSettings.Allowlist(prior, [Exception("CVE-2021-44228", null, null, null)], "p", Now)!;

        Assert.Equal(["CVE-2021-44228"], list.CveIds);
        Assert.Null(list.ExpiresAt);
    }

    [Fact]
    public void Allowlist_NoExceptionApplies_NothingToWrite()
    {
        Assert.Null(PullCheckSettings.Allowlist(new HarborCveAllowlist(0, null, ["CVE-2000-0001"]), [], "p", Now));
    }

    [Theory]
    [InlineData(null, true)] // the key absent: Harbor's ReuseSysCVEAllowlist answers true (project.go:125-131)
    [InlineData("true", true)]
    [InlineData("TRUE", true)] // isTrue lower-cases (project.go:278-287)
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("yes", false)]
    public void ReusesSystemAllowlist_AsHarborReadsTheKey(string? value, bool expected) =>
        Assert.Equal(expected, PullCheckSettings.ReusesSystemAllowlist(value));

    [Fact]
    public void Mirrored_ProjectReusedTheSystemList_SystemListPlusExceptionsAsTheProjectsOwnWithReuseFalse()
    {
        // Before the quarantine Harbor judged pulls with the system list (the key was absent); the project's own list
        // (CVE-2000-0001) was not in use.
        var prior = new ProjectSettingsPrior(null, null, new HarborCveAllowlist(9, null, ["CVE-2000-0001"]), new ReuseSystemAllowlist(null));
        var system = new HarborCveAllowlist(0, new DateTimeOffset(2028, 1, 1, 0, 0, 0, TimeSpan.Zero), ["CVE-1999-0001"]);

        var mirrored = PullCheckSettings.Mirrored(prior, system, 9, [Exception("CVE-2021-44228", null, null, null)], "p", Now)!;

        Assert.Equal(["CVE-1999-0001", "CVE-2021-44228"], mirrored.List.CveIds);
        Assert.Equal(system.ExpiresAt, mirrored.List.ExpiresAt);
        Assert.Equal(9, mirrored.List.ProjectId); // Harbor keeps a list written with another project's id out (controller.go:237)
        Assert.Equal("false", mirrored.Reuse!.Value);
    }

    [Fact]
    public void Mirrored_ProjectUsedItsOwnList_ItsListPlusExceptions()
    {
        var prior = new ProjectSettingsPrior(null, null, new HarborCveAllowlist(9, null, ["CVE-2000-0001"]), new ReuseSystemAllowlist("false"));

        var mirrored = PullCheckSettings.Mirrored(prior, null, 9, [Exception("CVE-2021-44228", null, null, null)], "p", Now)!;

        Assert.Equal(["CVE-2000-0001", "CVE-2021-44228"], mirrored.List.CveIds);
        Assert.Equal("false", mirrored.Reuse!.Value);
    }

    [Fact]
    public void Mirrored_PriorRecordedBeforeTheKeyWasKept_OwnListAndTheKeyLeftAlone()
    {
        var prior = new ProjectSettingsPrior(null, null, new HarborCveAllowlist(9, null, ["CVE-2000-0001"]));

        var mirrored = PullCheckSettings.Mirrored(prior, new HarborCveAllowlist(0, null, ["CVE-1999-0001"]), 9, [Exception("CVE-2021-44228", null, null, null)], "p", Now)!;

        Assert.Equal(["CVE-2000-0001", "CVE-2021-44228"], mirrored.List.CveIds);
        Assert.Null(mirrored.Reuse);
    }

    [Fact]
    public void Restored_KeyWasAbsent_AbsentAgainAndTheOwnListBack()
    {
        var prior = new ProjectSettingsPrior("false", null, new HarborCveAllowlist(9, null, ["CVE-2000-0001"]), new ReuseSystemAllowlist(null));

        var restored = PullCheckSettings.Restored(prior, 9);

        Assert.Equal(["CVE-2000-0001"], restored.List.CveIds);
        Assert.Null(restored.Reuse!.Value);
        Assert.Null(PullCheckSettings.Mirrored(prior, new HarborCveAllowlist(0, null, []), 9, [], "p", Now)); // nothing to mirror
    }

    [Fact]
    public void IsIn_SameIdsAnyOrderSameExpiryAndKey_True_OtherKeyValue_False()
    {
        var settings = new PullCheckAllowlist(new HarborCveAllowlist(9, null, ["CVE-2", "CVE-1"]), new ReuseSystemAllowlist("false"));
        HarborProject Project(string? reuse) => new(9, "p",
            reuse is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["reuse_sys_cve_allowlist"] = reuse },
            new HarborCveAllowlist(9, null, ["CVE-1", "CVE-2"]));

        Assert.True(settings.IsIn(Project("false")));
        Assert.False(settings.IsIn(Project(null)));
        Assert.False(settings.IsIn(Project("true")));
    }

    private static PolicyExceptionRule Exception(string id, string? project, string? repository, DateOnly? expires) => new(
        id, GlobOf(project), GlobOf(repository), null, expires, "reason", null, null);

    private static Glob? GlobOf(string? pattern) => pattern is null ? null : Glob.TryParse(pattern, out var glob, out var error) ? glob : throw new ArgumentException(error);
}
