namespace HarborBridge.Contracts;

/// <summary>An exception request was made, approved, denied or has expired. The owners of the scope hear about a new
/// request; the requester's team hears about the outcome.</summary>
/// <param name="RequestId">The request's id (<c>exr-…</c>).</param>
/// <param name="State">requested, approved, denied or expired.</param>
/// <param name="FindingId">The vulnerability id, package name or PURL the exception is for.</param>
/// <param name="Scope">Human-readable scope, e.g. <c>project=web repository=web/api</c>.</param>
/// <param name="Artifact">An artifact in the scope (the one the request was made from), for routing and links.</param>
/// <param name="Team">The team that owns the scope (routing file), or null when no team claims it.</param>
/// <param name="Approvers">Who may approve it (the team's <c>approvers:</c>).</param>
/// <param name="DecidedBy">Who approved or denied it; null while requested or when it expired.</param>
public sealed record ExceptionRequestChanged(
    string RequestId,
    string State,
    string FindingId,
    string Scope,
    ArtifactRef Artifact,
    string Reason,
    DateOnly Expires,
    string Requester,
    string? Team,
    IReadOnlyList<string> Approvers,
    string? DecidedBy,
    string? Comment,
    DateTimeOffset At);
