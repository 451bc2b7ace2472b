namespace HarborBridge.LoadDriver;

/// <summary>One artifact the driver pushed: where, what it should be decided as, and when the push finished.</summary>
public sealed record PushedArtifact(string Project, string Repository, string Tag, string Digest, ArtifactKind Kind, DateTimeOffset PushedAt);
