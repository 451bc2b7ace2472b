using HarborBridge.Core.Quarantine;

namespace HarborBridge.Core.Harbor;

/// <summary>The project permissions HarborBridge's robot needs (docs/quarantine.md, "Least-privilege permissions for
/// HarborBridge's robot account"), per quarantine strategy, plus reading webhook policies and metadata so that
/// <c>harborbridge harbor check</c> and <c>/readyz</c> can verify the project's set-up.</summary>
public static class RobotPermissions
{
    private static HarborAccess A(string resource, string action) => new(resource, action);

    /// <summary>Needed whatever the strategy: reading artifacts and reports, scanning, and checking the set-up.</summary>
    public static readonly IReadOnlyList<HarborAccess> Base =
    [
        A("project", "read"),
        A("repository", "pull"),
        A("artifact", "read"),
        A("artifact", "list"),
        A("accessory", "list"),
        A("scan", "create"),
        A("scan", "read"),
        A("scan", "stop"),
        A("artifact-addition", "read"),
        A("metadata", "list"),
        A("notification-policy", "list"),
    ];

    private static readonly Dictionary<string, IReadOnlyList<HarborAccess>> ByStrategy = new(StringComparer.Ordinal)
    {
        [QuarantineStrategies.Unsign] = [A("repository", "push"), A("repository", "delete")],
        [QuarantineStrategies.Label] = [A("artifact-label", "create"), A("artifact-label", "delete"), A("label", "list"), A("label", "create")],
        [QuarantineStrategies.PreventPull] = [A("project", "update"), A("metadata", "update"), A("metadata", "delete")],
        [QuarantineStrategies.Move] = [A("artifact", "create"), A("artifact", "delete")],
    };

    /// <summary>What the robot needs on each enrolled project for <paramref name="strategies"/> (signing always needs
    /// <c>repository: push</c>), without duplicates, in a stable order.</summary>
    public static IReadOnlyList<HarborAccess> For(IEnumerable<string> strategies)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        var result = new List<HarborAccess>(Base) { A("repository", "push") };
        foreach (var strategy in strategies)
        {
            result.AddRange(ByStrategy.GetValueOrDefault(strategy) ?? []);
        }

        return result.Distinct().ToList();
    }

    /// <summary>Every strategy's needs: what <c>harborbridge harbor connect</c> grants, so that any policy works.</summary>
    public static IReadOnlyList<HarborAccess> All => For(QuarantineStrategies.All);
}
