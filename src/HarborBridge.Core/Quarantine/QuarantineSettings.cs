namespace HarborBridge.Core.Quarantine;

/// <summary>The quarantine strategies a policy can choose (combinable).</summary>
public static class QuarantineStrategies
{
    /// <summary>Remove HarborBridge's signatures and attestations of the digest (per artifact).</summary>
    public const string Unsign = "unsign";

    /// <summary>Attach a label so the state is visible in Harbor's UI (blocks nothing by itself).</summary>
    public const string Label = "label";

    /// <summary>Turn on the project's <c>prevent_vul</c> with the policy's block threshold (project-wide).</summary>
    public const string PreventPull = "prevent-pull";

    /// <summary>Copy the artifact into the quarantine project and delete it from its repository.</summary>
    public const string Move = "move";

    public static readonly IReadOnlyList<string> All = [Unsign, Label, PreventPull, Move];

    /// <summary>The order strategies are applied in; release undoes them in reverse. The label goes last so that it
    /// sits on the artifact where it ends up (in the quarantine project after a move).</summary>
    public static IReadOnlyList<string> InApplyOrder(IEnumerable<string> strategies)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        string[] order = [PreventPull, Unsign, Move, Label];
        var chosen = strategies.ToHashSet(StringComparer.Ordinal);
        return order.Where(chosen.Contains).ToList();
    }
}

/// <summary>Where a quarantine label lives: one global label, or one per project.</summary>
public enum LabelScope
{
    Global,
    Project,
}

/// <summary>The policy's <c>quarantine:</c> block.</summary>
/// <param name="Strategies">What to do to a blocked artifact; see <see cref="QuarantineStrategies"/>.</param>
/// <param name="Label">Name of the label the <c>label</c> strategy attaches (created when missing).</param>
/// <param name="LabelScope">Global label (needs system <c>label:create</c> once) or a label per project.</param>
/// <param name="Project">The locked project the <c>move</c> strategy copies artifacts into.</param>
public sealed record QuarantineSettings(IReadOnlyList<string> Strategies, string Label, LabelScope LabelScope, string Project)
{
    public static QuarantineSettings Default { get; } = new([QuarantineStrategies.Unsign], "quarantined", LabelScope.Global, "quarantine");

    public QuarantineSettings With(QuarantineOverride? o) => o is null
        ? this
        : new(o.Strategies ?? Strategies, o.Label ?? Label, o.LabelScope ?? LabelScope, o.Project ?? Project);
}

/// <summary>A <c>quarantine:</c> block as written in the defaults or a project override; null = not set here.</summary>
public sealed record QuarantineOverride(IReadOnlyList<string>? Strategies, string? Label, LabelScope? LabelScope, string? Project);
