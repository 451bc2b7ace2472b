namespace HarborBridge.Contracts;

/// <summary>Something an operator must act on that is not a verdict: a missing Harbor permission, a signing
/// key or Fulcio outage after retries, a poison message moved to the error queue.</summary>
/// <param name="AlertKey">Stable key for deduplication (the same problem raises the same key).</param>
/// <param name="Source">The component that raised it, e.g. <c>quarantine</c>, <c>signing</c>, <c>messaging</c>.</param>
/// <param name="Summary">One line for a pager title.</param>
/// <param name="Detail">What to do about it.</param>
/// <param name="Cause">When set, alerts of the same cause (e.g. <c>poison:request-scan:System.TimeoutException</c>)
/// are notified together: one message per channel and time window, with the count. Null: notified on its own.</param>
public sealed record OperatorAlertRaised(
    string AlertKey,
    string Source,
    string Summary,
    string Detail,
    ArtifactRef? Artifact,
    DateTimeOffset RaisedAt,
    string? Cause = null);
