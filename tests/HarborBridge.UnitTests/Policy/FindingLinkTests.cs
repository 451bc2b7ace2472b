using HarborBridge.Core.Findings;

namespace HarborBridge.UnitTests.Policy;

/// <summary>Links from scanner reports reach the dashboard, mail and chat: only http(s) survives reading (audit #16).</summary>
public sealed class FindingLinkTests
{
    [Theory]
    [InlineData("https://avd.aquasec.com/nvd/cve-2024-0001", true)]
    [InlineData("http://example.test/advisory", true)]
    [InlineData("javascript:alert(document.domain)", false)]
    [InlineData("JavaScript:alert(1)", false)]
    [InlineData("data:text/html,<script>alert(1)</script>", false)]
    [InlineData("vbscript:msgbox", false)]
    [InlineData("/relative/path", false)]
    [InlineData("", false)]
    public void Finding_ReportLink_KeptOnlyWhenHttpOrHttps(string link, bool kept)
    {
        var finding = new Finding(FindingClass.Vulnerability, "CVE-1", "openssl", null, null, "1.0", [], "affected", Severity.High, [], null, link, "img");

        Assert.Equal(kept ? link : null, finding.PrimaryUrl);
    }

    [Fact]
    public void Read_HarborReportWithJavascriptLink_FindingHasNoLink()
    {
        var report = """
            {"application/vnd.security.vulnerability.report; version=1.1": {"generated_at": "2024-01-01T00:00:00Z",
              "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "v0.50.0"}, "severity": "High",
              "vulnerabilities": [{"id": "CVE-2024-0001", "package": "openssl", "version": "1.0", "fix_version": "",
                "severity": "High", "links": ["javascript:alert(document.domain)"]}]}}
            """u8.ToArray();

        var finding = Assert.Single(ReportReader.Read(report).Findings);

        Assert.Equal("CVE-2024-0001", finding.Id);
        Assert.Null(finding.PrimaryUrl);
    }
}
