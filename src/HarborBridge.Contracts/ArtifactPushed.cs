namespace HarborBridge.Contracts;

/// <summary>Harbor reported a push (PUSH_ARTIFACT), or reconciliation found an artifact no webhook announced.</summary>
/// <param name="EventId">Identity of the source event, used to make every effect idempotent.</param>
/// <param name="Tag">The pushed tag, or null when pushed by digest.</param>
/// <param name="Pusher">Harbor user or robot that pushed.</param>
public sealed record ArtifactPushed(string EventId, ArtifactRef Artifact, string? Tag, string? Pusher, DateTimeOffset OccurredAt);
