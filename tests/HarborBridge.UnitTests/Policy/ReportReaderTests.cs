using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Core.Findings;

namespace HarborBridge.UnitTests.Policy;

public sealed class ReportReaderTests
{
    public static TheoryData<string> AllReports() => ReportFixtures.AllReports();

    [Theory]
    [MemberData(nameof(AllReports))]
    public void Read_EveryFixture_CountsPerSeverityStatusAndClassMatchTheRawJson(string file)
    {
        var raw = ReportFixtures.Walk(file);

        var report = ReportReader.Read(ReportFixtures.Bytes(file));

        Assert.True(report.HasReport);
        Assert.Equal(Count(raw, r => $"{r.Class}/{r.Severity}"),
            Count(report.Findings, f => $"{f.Class.ToString().ToLowerInvariant()}/{f.Severity.ToString().ToUpperInvariant()}"));
        Assert.Equal(Count(raw, r => $"{r.Class}/{r.Status}"), Count(report.Findings, f => $"{f.Class.ToString().ToLowerInvariant()}/{f.Status}"));
        Assert.Equal(raw.Count(r => r.Fixed.Trim().Length > 0), report.Findings.Count(f => f.HasFix));
        Assert.Equal(raw.Select(r => r.Id).Order(), report.Findings.Select(f => f.Id).Order());
    }

    [Fact]
    public void Read_HarborTrivyVuln_MatchesTheCountsPublishedWithTheCapture()
    {
        // Counted by hand by the fixture's curators (shared/reference/harbor-scanner/README.md).
        var report = ReportReader.Read(ReportFixtures.Bytes("harbor/harbor-trivy-vuln.json"));

        Assert.Equal(ReportFormat.HarborV11, report.Format);
        Assert.Equal(131, report.Findings.Count);
        Assert.Equal(5, report.Findings.Count(f => f.Severity == Severity.Critical));
        Assert.Equal(34, report.Findings.Count(f => f.Severity == Severity.High));
        Assert.Equal(24, report.Findings.Count(f => f.Severity == Severity.Medium));
        Assert.Equal(68, report.Findings.Count(f => f.Severity == Severity.Low));
        Assert.Equal(40, report.Findings.Count(f => f.HasFix));
        Assert.DoesNotContain(report.Findings, f => f.PrimaryUrl == "");
    }

    [Fact]
    public void Read_HarborV10WithNegligibleAndMissingLinks_MapsSeverityAndFormat()
    {
        var report = ReportReader.Read(ReportFixtures.Bytes("harbor/harbor-5-vuln.json"));

        Assert.Equal(ReportFormat.HarborV10, report.Format);
        Assert.Equal("Clair 2.x", report.Scanner);
        var first = report.Findings.Single(f => f.Id == "CVE-YYYY-001");
        Assert.Equal(Severity.Low, first.Severity);
        Assert.Equal(["unexploitable-version-1"], first.FixedVersions);
        var unfixed = report.Findings.Single(f => f.Id == "CVE-YYYY-002");
        Assert.Equal("affected", unfixed.Status);
        Assert.Null(unfixed.PrimaryUrl);
    }

    [Fact]
    public void Read_HarborV10WithNullVulnerabilities_IsACleanReport()
    {
        var report = ReportReader.Read(ReportFixtures.Bytes("harbor/harbor-0-vuln.json"));

        Assert.True(report.HasReport);
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void Read_EmptyHarborMap_MeansNoReport()
    {
        var report = ReportReader.Read("{}"u8);

        Assert.False(report.HasReport);
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void Read_TrivyCommaFixedVersionAndPackageFoundInsideAFile_SplitsVersionsAndKeepsPurl()
    {
        var gems = ReportReader.Read(ReportFixtures.Bytes("trivy/fluentd-gems.json.golden"));
        var activesupport = gems.Findings.Single(f => f.Target != gems.Findings[0].Target);
        Assert.Equal(["6.0.3.1", "5.2.4.3"], activesupport.FixedVersions);

        var spring = ReportReader.Read(ReportFixtures.Bytes("trivy/spring4shell-jre11.json.golden")).Findings.Single();
        Assert.Equal("CVE-2022-22965", spring.Id);
        Assert.Null(spring.PackageId);
        Assert.StartsWith("pkg:maven/", spring.Purl, StringComparison.Ordinal);
        Assert.Equal(Severity.Critical, spring.Severity);
    }

    [Fact]
    public void Read_TrivyCvssV4_KeepsV40ScorePerSource()
    {
        var report = ReportReader.Read(ReportFixtures.Bytes("trivy/cvssv4_severity_source.json"));

        Assert.Contains(report.Findings, f => f.Cvss.Any(c => c.Source == "ghsa" && c.V40Score is > 0));
    }

    [Fact]
    public void Read_OldTrivyWithoutStatus_DerivesStatusFromFixedVersion()
    {
        var report = ReportReader.Read(ReportFixtures.Bytes("trivy/misconfigurations_and_secrets.json"));

        Assert.All(report.Findings.Where(f => f.Class == FindingClass.Vulnerability),
            f => Assert.Equal(f.HasFix ? "fixed" : "affected", f.Status));
        Assert.Equal(2, report.Findings.Count(f => f.Class == FindingClass.Secret));
        Assert.Equal("fail", report.Findings.Single(f => f.Class == FindingClass.Misconfiguration).Status);
    }

    [Fact]
    public void Read_UnknownFieldsAndWrongTypedOptionalFields_AreTolerated()
    {
        var node = JsonNode.Parse(ReportFixtures.Bytes("trivy/alpine-39.json.golden"))!;
        node["SomethingNew"] = new JsonObject { ["x"] = 1 };
        var vuln = node["Results"]![0]!["Vulnerabilities"]![0]!;
        vuln["FutureField"] = new JsonArray(1, 2);
        vuln["Title"] = 42;
        vuln.AsObject().Remove("PkgID");
        vuln.AsObject().Remove("Status");

        var report = ReportReader.Read(Encoding.UTF8.GetBytes(node.ToJsonString()));

        Assert.Equal(6, report.Findings.Count);
        Assert.Null(report.Findings[0].Title);
        Assert.Null(report.Findings[0].PackageId);
        Assert.Equal("fixed", report.Findings[0].Status);
    }

    [Fact]
    public void Read_TrivyEscapedTextUpperCaseSourcesAndRepeatedValues_ReadAsWritten()
    {
        // Large reports share repeated short values between findings; escaped and upper-case text must still read exactly.
        const string json = """
            {"SchemaVersion": 2, "Results": [{"Target": "app", "Vulnerabilities": [
              {"VulnerabilityID": "CVE-1", "PkgName": "lib\u0041", "InstalledVersion": "1.0", "FixedVersion": "1.1, 2.1", "Status": "Fixed",
               "Severity": "HIGH", "CVSS": {"NVD": {"V3Score": 7.5, "V3Vector": "CVSS:3.1/AV:N"}}},
              {"VulnerabilityID": "CVE-2", "PkgName": "libA", "InstalledVersion": "1.0", "FixedVersion": "1.1, 2.1", "Status": "fixed",
               "Severity": "LOW", "CVSS": {"nvd": {"V3Score": 3.1, "V3Vector": "CVSS:3.1/AV:N"}}}]}]}
            """;

        var findings = ReportReader.Read(Encoding.UTF8.GetBytes(json)).Findings;

        Assert.All(findings, f => Assert.Equal("libA", f.PackageName));
        Assert.All(findings, f => Assert.Equal(["1.1", "2.1"], f.FixedVersions));
        Assert.All(findings, f => Assert.Equal("fixed", f.Status));
        Assert.Equal(["nvd", "nvd"], findings.Select(f => f.Cvss.Single().Source));
        Assert.Equal([7.5, 3.1], findings.Select(f => f.Cvss.Single().V3Score));
        Assert.All(findings, f => Assert.Equal("CVSS:3.1/AV:N", f.Cvss.Single().V3Vector));
    }

    [Fact]
    public void Read_SameBytes_GiveTheSha256OfTheBytesAsDigest()
    {
        var bytes = ReportFixtures.Bytes("trivy/alpine-310.json.golden");
        var expected = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

        Assert.Equal(expected, ReportReader.Read(bytes).Digest);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   \n", "empty")]
    [InlineData("{\"SchemaVersion\": 2, \"Results\": [", "not valid JSON")]
    [InlineData("[{\"Target\": \"x\"}]", "before SchemaVersion 2")]
    [InlineData("{\"SchemaVersion\": 1, \"Results\": []}", "SchemaVersion 1")]
    [InlineData("{\"ArtifactName\": \"x\", \"Results\": []}", "no SchemaVersion")]
    [InlineData("{\"SchemaVersion\": 2, \"Results\": {}}", "Results must be an array")]
    [InlineData("{\"SchemaVersion\": 2, \"Results\": [{\"Vulnerabilities\": [{\"PkgName\": \"a\"}]}]}", "Results[0].Vulnerabilities[0] has no id")]
    [InlineData("{\"application/vnd.security.sbom.report+json; version=1.0\": {}}", "no vulnerability report under a known MIME type")]
    [InlineData("{\"application/vnd.security.vulnerability.report; version=1.1\": {\"vulnerabilities\": [{\"package\": \"a\"}]}}", "vulnerabilities[0] has no id")]
    [InlineData("{\"hello\": \"world\"}", "neither Trivy JSON")]
    [InlineData("42", "must be a JSON object")]
    public void Read_BadReport_ThrowsWithAClearMessage(string json, string expected)
    {
        var e = Assert.Throws<ReportFormatException>(() => ReportReader.Read(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("trivy/alpine-310.sarif.golden", "SARIF")]
    [InlineData("trivy/fluentd-multiple-lockfiles-short.cdx.json.golden", "CycloneDX")]
    public void Read_SharedFixturesInOtherFormats_AreRejectedByName(string file, string expected)
    {
        var e = Assert.Throws<ReportFormatException>(() => ReportReader.Read(ReportFixtures.Bytes(file)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static SortedDictionary<string, int> Count<T>(IEnumerable<T> items, Func<T, string> key) =>
        new(items.GroupBy(key).ToDictionary(g => g.Key, g => g.Count()));
}
