using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Scheduling;

/// <summary>The policy file's <c>rescan:</c> section.</summary>
public sealed class RescanPolicyTests
{
    [Fact]
    public void Load_FixWithin_PerSeverityAndDefault()
    {
        var policy = PolicyLoader.Load("version: 1\nrescan:\n  fixWithin: { CRITICAL: 3d, MEDIUM: 12h, default: 90d }\n");

        var rules = policy.RescanRulesInForce;
        Assert.Equal(TimeSpan.FromDays(3), rules.FixWithin[Severity.Critical]);
        Assert.Equal(TimeSpan.FromDays(30), rules.FixWithin[Severity.High]); // not set: built-in
        Assert.Equal(TimeSpan.FromHours(12), rules.FixWithin[Severity.Medium]);
        Assert.Equal(TimeSpan.FromDays(90), rules.DefaultFixWithin);
    }

    [Fact]
    public void Load_ZeroDays_Allowed()
    {
        var policy = PolicyLoader.Load("version: 1\nrescan:\n  fixWithin: { CRITICAL: 0d }\n");

        Assert.Equal(TimeSpan.Zero, policy.RescanRulesInForce.FixWithin[Severity.Critical]);
    }

    [Fact]
    public void Load_NoSection_BuiltInAndUnchangedPolicyVersion()
    {
        var without = PolicyLoader.Load("version: 1\n");
        var with = PolicyLoader.Load("version: 1\nrescan:\n  fixWithin: { CRITICAL: 1d }\n");

        Assert.Null(without.Rescan);
        Assert.Equal(TimeSpan.FromDays(7), without.RescanRulesInForce.FixWithin[Severity.Critical]);
        Assert.NotEqual(without.PolicyVersion, with.PolicyVersion);
    }

    [Theory]
    [InlineData("version: 1\nrescan:\n  fixWithin: { SEVERE: 3d }\n", "line 3, column 16: rescan.fixWithin.SEVERE: unknown key 'SEVERE'")]
    [InlineData("version: 1\nrescan:\n  fixWithin: { HIGH: soon }\n", "rescan.fixWithin.HIGH: 'soon' is not a duration")]
    [InlineData("version: 1\nrescan:\n  fixBy: { HIGH: 1d }\n", "rescan.fixBy: unknown key 'fixBy'")]
    public void Load_BadSection_ClearErrorWithLine(string yaml, string expected)
    {
        var e = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load(yaml, "policy.yaml"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
