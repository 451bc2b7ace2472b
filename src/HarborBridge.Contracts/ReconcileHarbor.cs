namespace HarborBridge.Contracts;

/// <summary>Command: page through Harbor's artifacts pushed since the last reconciliation and announce every digest
/// HarborBridge has not seen (<see cref="ArtifactPushed"/>), and check the enrolled projects' webhook settings.</summary>
/// <param name="RunId">Unique per scheduled run.</param>
public sealed record ReconcileHarbor(string RunId, DateTimeOffset RequestedAt);
