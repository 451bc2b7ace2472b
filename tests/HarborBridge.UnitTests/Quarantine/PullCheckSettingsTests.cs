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

    private static PolicyExceptionRule Exception(string id, string? project, string? repository, DateOnly? expires) => new(
        id, GlobOf(project), GlobOf(repository), null, expires, "reason", null, null);

    private static Glob? GlobOf(string? pattern) => pattern is null ? null : Glob.TryParse(pattern, out var glob, out var error) ? glob : throw new ArgumentException(error);
}
