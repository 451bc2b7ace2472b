using HarborBridge.Core.Policy;
using HarborBridge.Core.Quarantine;

namespace HarborBridge.UnitTests.Policy;

/// <summary>The policy's <c>quarantine:</c> block: defaults, per-project overrides and line-numbered errors.</summary>
public sealed class PolicyQuarantineTests
{
    [Fact]
    public void Resolve_NoQuarantineBlock_UnsignWithBuiltInNames()
    {
        var rules = PolicyLoader.Load("version: 1\n").Resolve("web", "api").Rules;

        Assert.Equal(["unsign"], rules.Quarantine.Strategies);
        Assert.Equal(("quarantined", LabelScope.Global, "quarantine"), (rules.Quarantine.Label, rules.Quarantine.LabelScope, rules.Quarantine.Project));
    }

    [Fact]
    public void Resolve_OverrideSetsStrategies_OtherKeysInheritedFromDefaults()
    {
        var policy = PolicyLoader.Load("""
            version: 1
            defaults:
              quarantine:
                strategies: [unsign, label]
                label: "hb-blocked"
                labelScope: project
                project: jail
            projects:
              - match: { project: "payments", repository: "*" }
                quarantine: { strategies: [prevent-pull, move, label] }
            """);

        var payments = policy.Resolve("payments", "api").Rules.Quarantine;
        var web = policy.Resolve("web", "api").Rules.Quarantine;

        Assert.Equal(["prevent-pull", "move", "label"], payments.Strategies);
        Assert.Equal(("hb-blocked", LabelScope.Project, "jail"), (payments.Label, payments.LabelScope, payments.Project));
        Assert.Equal(["unsign", "label"], web.Strategies);
    }

    [Fact]
    public void PolicyVersion_QuarantineChange_ChangesVersion()
    {
        var a = PolicyLoader.Load("version: 1\ndefaults:\n  quarantine: { strategies: [unsign] }\n");
        var b = PolicyLoader.Load("version: 1\ndefaults:\n  quarantine: { strategies: [unsign, label] }\n");

        Assert.NotEqual(a.PolicyVersion, b.PolicyVersion);
    }

    [Theory]
    [InlineData("  quarantine: { strategies: [unsign, lock] }", "line 3, column 38: defaults.quarantine.strategies[1]: unknown strategy 'lock'")]
    [InlineData("  quarantine: { strategies: [label, label] }", "line 3, column 37: defaults.quarantine.strategies[1]: strategy 'label' is listed twice")]
    [InlineData("  quarantine: { strategies: [] }", "line 3, column 29: defaults.quarantine.strategies: the list is empty")]
    [InlineData("  quarantine: { project: \"Jail!\" }", "line 3, column 26: defaults.quarantine.project: 'Jail!' is not a Harbor project name")]
    [InlineData("  quarantine: { labelScope: team }", "line 3, column 29: defaults.quarantine.labelScope: 'team' is not one of: global, project")]
    [InlineData("  quarantine: { lable: x }", "line 3, column 17: defaults.quarantine.lable: unknown key 'lable'")]
    public void Load_BadQuarantineBlock_LineNumberedError(string line, string expected)
    {
        var e = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load($"version: 1\ndefaults:\n{line}\n", "policy.yaml"));

        Assert.StartsWith("policy.yaml: " + expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyOrder_AnyListedOrder_PreventPullUnsignMoveLabel()
    {
        Assert.Equal(["prevent-pull", "unsign", "move", "label"], QuarantineStrategies.InApplyOrder(["label", "move", "unsign", "prevent-pull"]));
    }
}
