namespace HarborBridge.Contracts;

/// <summary>Command from the scan-timeout sweep: a scan was requested long ago and no result arrived; ask Harbor
/// where it stands and finish, retry or fail it.</summary>
/// <param name="Attempts">Scan attempts made so far (the sweep's view), part of the idempotency key.</param>
public sealed record CheckScan(ArtifactRef Artifact, int Attempts, DateTimeOffset RequestedAt);
