namespace HarborBridge.Contracts;

/// <summary>A notification rendered once, independent of the channel: every channel formats these fields its own way.</summary>
/// <param name="Kind">What happened: <c>warned</c>, <c>blocked</c>, <c>quarantined</c>, <c>released</c>, <c>at-risk</c>,
/// <c>exception-expiring</c>, <c>operator-alert</c> or <c>digest</c>.</param>
/// <param name="Severity">How urgent: <c>info</c>, <c>warning</c>, <c>error</c> or <c>critical</c> (PagerDuty's scale).</param>
/// <param name="Title">One line, e.g. <c>Quarantined: web/frontend:1.4@sha256:…</c>.</param>
/// <param name="Summary">What happened and why, in one or two sentences.</param>
/// <param name="Facts">Labelled values in display order (verdict, pushed by, policy version, fix-by …).</param>
/// <param name="Findings">The findings that decided it.</param>
/// <param name="Added">Finding ids new since the previous message to this channel (a "what changed" message), else empty.</param>
/// <param name="Removed">Finding ids gone since the previous message to this channel, else empty.</param>
/// <param name="NextSteps">How to fix it or request an exception.</param>
/// <param name="Links">Labelled links (the artifact in Harbor and in HarborBridge).</param>
public sealed record NotificationContent(
    string Kind,
    string Severity,
    string Title,
    string Summary,
    ArtifactRef? Artifact,
    string? Tag,
    IReadOnlyList<NotificationFact> Facts,
    IReadOnlyList<DecidingFinding> Findings,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    string NextSteps,
    IReadOnlyList<NotificationLink> Links);

/// <summary>A labelled value shown in a notification.</summary>
public sealed record NotificationFact(string Label, string Value);

/// <summary>A labelled link shown in a notification.</summary>
public sealed record NotificationLink(string Label, string Url);
