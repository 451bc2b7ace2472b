using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using HarborBridge.UnitTests.Policy;

namespace HarborBridge.UnitTests.Artifacts;

public sealed class AppliedExceptionsTests
{
    private static readonly ArtifactRef App = new("team", "app", "sha256:" + new string('a', 64));
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    // vulnerabilities_addition.response.json, read by hand: CVE-2019-18276 in bash (Low), CVE-2013-7445 in linux (High).
    private static Decision Decide(string exceptions) =>
        PolicyEvaluator.Evaluate(App,
            ReportReader.Read(ReportFixtures.Bytes("harbor/vulnerabilities_addition.response.json")),
            PolicyLoader.Load("version: 1\ndefaults: { block: { severity: HIGH } }\nexceptions:\n" + exceptions), null, Now);

    private static string DecisionJson(string exceptions) => DecisionRenderer.ToJson(Decide(exceptions));

    [Fact]
    public void FromDecisionJson_ExceptionsByIdAndByPackage_OneEntryPerWaivedVulnerability()
    {
        var json = DecisionJson("""
              - id: CVE-2013-7445
                expires: 2099-12-31
                reason: kernel not used
              - id: bash
                reason: no shell at run time
              - id: CVE-2000-0001
                reason: matches nothing
            """);

        Assert.Equal(
            [
                new AppliedException("CVE-2013-7445", "CVE-2013-7445", new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero)),
                new AppliedException("bash", "CVE-2019-18276", null),
            ],
            AppliedExceptions.FromDecisionJson(json));
    }

    [Fact]
    public void FromDecisionJson_ExpiredException_NotListed()
    {
        var json = DecisionJson("  - id: CVE-2013-7445\n    expires: 2020-01-31\n    reason: lapsed\n");

        Assert.Empty(AppliedExceptions.FromDecisionJson(json));
    }

    [Theory]
    [InlineData("  - id: CVE-2013-7445\n    expires: 2099-12-31\n    reason: kernel not used\n  - id: bash\n    reason: no shell\n")]
    [InlineData("  - id: CVE-2013-7445\n    expires: 2020-01-31\n    reason: lapsed\n")]
    [InlineData("  - id: linux\n    expires: 2030-06-30\n    reason: by package\n  - id: CVE-2013-7445\n    reason: by id\n")]
    public void FromDecision_SameListAsReadFromTheStoredDocument(string exceptions)
    {
        // The event of a decision just made takes its exceptions from the decision; a republished one reads them back from
        // the stored document: both must carry the same list.
        var decision = Decide(exceptions);

        Assert.Equal(AppliedExceptions.FromDecisionJson(DecisionRenderer.ToJson(decision)), AppliedExceptions.FromDecision(decision));
    }

    [Fact]
    public void FromDecisionJson_IndexAggregateWithoutFindings_Empty()
    {
        Assert.Empty(AppliedExceptions.FromDecisionJson("""{"index":"sha256:1","verdict":"Pass","children":[]}"""));
    }
}
