using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Policy;

public sealed class PolicyLoaderTests
{
    [Fact]
    public void Load_TheIssueExample_GivesTheDocumentedModel()
    {
        var policy = PolicyLoader.Load("""
            version: 1
            defaults:
              block: { severity: CRITICAL }   # block at or above
              warn:  { severity: HIGH }       # warn at or above (below block)
              ignoreUnfixed: false            # true: only findings with a fixed version count
            projects:                         # first match wins; unset keys inherit defaults
              - match: { project: "payments*", repository: "*" }
                block: { severity: HIGH }
                enforcement: enforce          # or dryrun
            exceptions:
              - id: CVE-2023-44487
                scope: { project: "web", repository: "frontend/*" }   # omit for global
                expires: 2027-01-31
                reason: "HTTP/2 disabled in this image"
                owner: team-web@example.com
            """);

        Assert.Equal(Severity.Critical, policy.Defaults.BlockSeverity);
        Assert.Equal(Severity.High, policy.Defaults.WarnSeverity);
        var project = Assert.Single(policy.Projects);
        Assert.Equal("payments*", project.Project.Pattern);
        Assert.Equal(Severity.High, project.Settings.BlockSeverity);
        var exception = Assert.Single(policy.Exceptions);
        Assert.Equal(new DateOnly(2027, 1, 31), exception.Expires);
        Assert.Equal("team-web@example.com", exception.Owner);
        Assert.Equal(11, exception.Line);
        Assert.Equal((Severity.High, "payments-eu"), (policy.Resolve("payments-eu", "api").Rules.BlockSeverity!.Value, "payments-eu"));
        Assert.Equal("defaults", policy.Resolve("web", "frontend/app").Source);
        Assert.Matches("^sha256:[0-9a-f]{64}$", policy.PolicyVersion);
    }

    [Fact]
    public void Load_ExampleConfigFile_IsAccepted()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "config", "policy.yaml");

        var policy = PolicyLoader.Load(File.ReadAllText(path), "config/policy.yaml");

        Assert.NotEmpty(policy.Projects);
        Assert.NotEmpty(policy.Exceptions);
    }

    [Fact]
    public void PolicyVersion_SameMeaningDifferentLayout_IsEqual()
    {
        var a = PolicyLoader.Load("version: 1\ndefaults:\n  warn: { severity: HIGH }\n  block: { severity: CRITICAL }\n");
        var b = PolicyLoader.Load("# comment\nversion: 1\ndefaults:\n  block:\n    severity: critical\n  warn:\n    severity: \"HIGH\"   # same\n");

        Assert.Equal(a.PolicyVersion, b.PolicyVersion);
    }

    [Fact]
    public void PolicyVersion_ChangedMeaning_Differs()
    {
        var a = PolicyLoader.Load("version: 1\ndefaults: { block: { severity: CRITICAL } }\n");
        var b = PolicyLoader.Load("version: 1\ndefaults: { block: { severity: HIGH } }\n");

        Assert.NotEqual(a.PolicyVersion, b.PolicyVersion);
    }

    [Theory]
    [InlineData("projects:\n  - match: { project: \"pay*\" }\n", "projects:\n  - match: { project: \"payments*\" }\n")]
    [InlineData("exceptions:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-01\n", "exceptions:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-02\n")]
    [InlineData("kev: { file: a.json }\n", "kev: { file: b.json }\n")]
    [InlineData("defaults: { maxReportAge: 7d }\n", "defaults: { maxReportAge: 8d }\n")]
    public void PolicyVersion_ChangedGlobDateKevOrAge_Differs(string a, string b)
    {
        Assert.NotEqual(PolicyLoader.Load("version: 1\n" + a).PolicyVersion, PolicyLoader.Load("version: 1\n" + b).PolicyVersion);
    }

    [Fact]
    public void Load_WindowsLineEndings_ReportsTheSameLines()
    {
        var e = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load("version: 1\r\ndefaults:\r\n  blok: 1\r\n", "p.yaml"));

        Assert.StartsWith("p.yaml: line 3, column 3: defaults.blok", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("version: 1\ndefaults:\n  blok: { severity: HIGH }\n", "line 3, column 3: defaults.blok: unknown key 'blok'")]
    [InlineData("version: 1\nprojects:\n  - match: { project: a }\n    enforcment: dryrun\n", "line 4, column 5: projects[0].enforcment: unknown key")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    scope: { projct: a }\n", "line 5, column 14: exceptions[0].scope.projct: unknown key")]
    [InlineData("version: 1\nfoo: bar\n", "line 2, column 1: foo: unknown key 'foo'")]
    [InlineData("version: 1\ndefaults:\n  block: { severity: SEVERE }\n", "line 3, column 22: defaults.block.severity: unknown severity 'SEVERE'")]
    [InlineData("version: 1\ndefaults:\n  unknownSeverity: NONE\n", "line 3, column 20: defaults.unknownSeverity: unknown severity 'NONE'")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    expires: 31/01/2027\n", "line 5, column 14: exceptions[0].expires: '31/01/2027' is not a date in the form YYYY-MM-DD")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    expires: 2027-02-30\n", "exceptions[0].expires: '2027-02-30' is not a date")]
    [InlineData("version: 1\nprojects:\n  - match: { project: \"pay[ments\" }\n", "line 3, column 23: projects[0].match.project: bad glob 'pay[ments': '[' at position 4 is not closed")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    scope: { repository: \"a[z-a]\" }\n", "exceptions[0].scope.repository: bad glob 'a[z-a]': the range 'z-a' is reversed")]
    [InlineData("version: 1\nprojects:\n  - match: { project: \"\" }\n", "projects[0].match.project: bad glob '': the pattern is empty")]
    [InlineData("version: 1\ndefaults:\n  block: { severity: [HIGH\n", "line 4, column 1: YAML syntax error")]
    [InlineData("version: 1\ndefaults:\n\tblock: {}\n", "line 3, column 1: YAML syntax error")]
    [InlineData("version: 1\ndefaults: {}\ndefaults: {}\n", "YAML syntax error")]
    [InlineData("defaults: {}\n", "version: missing")]
    [InlineData("version: 2\n", "line 1, column 10: version: unsupported version")]
    [InlineData("", "the policy file is empty")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n", "exceptions[0].reason: missing")]
    [InlineData("version: 1\nexceptions:\n  - reason: r\n", "exceptions[0].id: missing")]
    [InlineData("version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    scope: { digest: latest }\n", "exceptions[0].scope.digest: 'latest' is not a digest")]
    [InlineData("version: 1\ndefaults: { block: { cvss: 11 } }\n", "defaults.block.cvss: '11' is not a CVSS score")]
    [InlineData("version: 1\ndefaults: { enforcement: maybe }\n", "defaults.enforcement: 'maybe' is not one of: enforce, dryrun")]
    [InlineData("version: 1\ndefaults: { onScanFailure: retry }\n", "defaults.onScanFailure: 'retry' is not one of: hold, quarantine, allow")]
    [InlineData("version: 1\ndefaults: { maxReportAge: 1w }\n", "defaults.maxReportAge: '1w' is not a duration")]
    [InlineData("version: 1\ndefaults: { ignoreUnfixed: sometimes }\n", "defaults.ignoreUnfixed: expected true or false")]
    [InlineData("version: 1\nprojects:\n  - block: { severity: HIGH }\n", "projects[0].match: missing")]
    [InlineData("version: 1\nprojects: { a: 1 }\n", "projects: expected a list")]
    [InlineData("version: 1\nkev: { block: true }\n", "kev.file: missing")]
    public void Load_BadPolicy_NamesLineAndField(string yaml, string expected)
    {
        var e = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load(yaml, "policy.yaml"));

        Assert.StartsWith("policy.yaml: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"title\": \"x\"}", "not a CISA KEV catalog")]
    [InlineData("{\"vulnerabilities\": [{\"vendorProject\": \"x\"}]}", "vulnerabilities[0] has no \"cveID\"")]
    public void KevCatalog_BadFile_ThrowsAClearError(string json, string expected)
    {
        var e = Assert.Throws<PolicyFileException>(() => KevCatalog.Parse(json, "kev.json"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("payments*", "payments-eu", true)]
    [InlineData("payments*", "pay", false)]
    [InlineData("frontend/*", "frontend/web/app", true)]
    [InlineData("*", "", true)]
    [InlineData("team-?", "team-a", true)]
    [InlineData("team-[ab]", "team-c", false)]
    [InlineData("team-[!ab]", "team-c", true)]
    [InlineData("a.b", "axb", false)]
    [InlineData("Web", "web", true)]
    public void Glob_Patterns_MatchAsDocumented(string pattern, string name, bool expected)
    {
        Assert.True(Glob.TryParse(pattern, out var glob, out _));

        Assert.Equal(expected, glob.IsMatch(name));
    }
}
