namespace HarborBridge.Contracts;

/// <summary>HarborBridge applied quarantine to a blocked artifact (every configured strategy took effect).</summary>
/// <param name="Strategies">The strategies applied, e.g. <c>unsign</c>, <c>label</c>, <c>prevent-pull</c>, <c>move</c>.</param>
/// <param name="Reason">One line saying why (copied from the blocking decision).</param>
public sealed record ArtifactQuarantined(
    string DecisionId,
    ArtifactRef Artifact,
    string? Tag,
    IReadOnlyList<string> Strategies,
    string Reason,
    IReadOnlyList<DecidingFinding> Findings,
    DateTimeOffset QuarantinedAt);
