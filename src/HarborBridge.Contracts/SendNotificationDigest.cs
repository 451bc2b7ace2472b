namespace HarborBridge.Contracts;

/// <summary>Command from the digest schedule: summarise, per team, what was notified in [From, To).</summary>
public sealed record SendNotificationDigest(DateTimeOffset From, DateTimeOffset To);
