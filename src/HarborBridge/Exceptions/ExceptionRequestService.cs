using System.Security.Cryptography;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Notifications;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Scheduling;
using HarborBridge.Notifications;
using HarborBridge.Policy;
using MassTransit;

namespace HarborBridge.Exceptions;

/// <summary>What a step of an exception request came to: an HTTP status with a reason when refused, else the request.</summary>
internal sealed record ExceptionRequestOutcome(int Status, string? Title, string? Problem, ExceptionRequest? Request, int Affected = 0)
{
    public static ExceptionRequestOutcome Refused(int status, string title, string problem) => new(status, title, problem, null);
}

/// <summary>
/// Exception requests from asking to outcome. A request names a finding, a scope and an expiry within the policy's
/// <c>exceptionRequests.maxDays</c>; its scope must hold at least one artifact HarborBridge knows, all owned by one team of
/// the routing file, and that team must list <c>approvers:</c>. The owners are notified; an approver's approval grants the
/// exception (stored beside the policy file's) and asks for every artifact in the scope to be judged again through the
/// normal decision path (<see cref="ReevaluateArtifact"/>), which releases and signs a quarantined image that passes now.
/// A denial or expiry notifies the requester's team. Every step is written to the history of the artifacts in the scope.
/// </summary>
internal sealed class ExceptionRequestService(
    IExceptionRequestStore requests,
    IArtifactStore artifacts,
    IScheduleStore schedule,
    RoutingProvider routing,
    PolicyProvider policies,
    TimeProvider time,
    ILogger<ExceptionRequestService> logger)
{
    /// <summary>Most artifacts one request is checked against, audited for and re-evaluated.</summary>
    internal const int MaxCovered = 10_000;

    private static readonly string[] LiveStates = [.. ArtifactStates.All.Where(s => s != ArtifactStates.Deleted)];

    // States in which an exception can change the outcome: granted, it can release or clear; expired, it can block.
    private static readonly string[] GrantAffects = [ArtifactStates.Quarantined, ArtifactStates.AtRisk, ArtifactStates.Warned];
    private static readonly string[] ExpiryAffects = [ArtifactStates.Approved, ArtifactStates.Warned, ArtifactStates.AtRisk];

    public async Task<ExceptionRequestOutcome> RequestAsync(string? findingId, string? project, string? repository, string? digest, string? reason,
        string? expires, string? requester, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var maxDays = policies.Current.Policy.ExceptionRequestMaxDaysInForce;
        var (draft, problem) = ExceptionRequestRules.Check(findingId, project, repository, digest, reason, expires, requester, now, maxDays);
        if (draft is null)
        {
            return ExceptionRequestOutcome.Refused(400, "Bad exception request", problem!);
        }

        var covered = await CoveredAsync(draft, LiveStates, cancellationToken);
        if (covered.Count == 0)
        {
            return ExceptionRequestOutcome.Refused(404, "Scope matches no artifact", $"HarborBridge knows no artifact in {draft.Scope}; check the project, repository and digest.");
        }

        var document = routing.Current;
        var teams = covered.Select(c => document.OwnerOf(c.Artifact)?.Name).Distinct().ToList();
        if (teams.Count > 1)
        {
            return ExceptionRequestOutcome.Refused(400, "Scope spans teams",
                $"{draft.Scope} holds artifacts of {string.Join(", ", teams.Select(t => t ?? "no team"))}; narrow the scope to one team's artifacts.");
        }

        var representative = covered.OrderBy(c => GrantAffects.Contains(c.State) ? Array.IndexOf(GrantAffects, c.State) : GrantAffects.Length).First().Artifact;
        if (document.OwnerOf(representative) is not { Approvers.Count: > 0 } team)
        {
            return ExceptionRequestOutcome.Refused(409, "Nobody may approve",
                $"No team of the routing file lists approvers for {representative.FullRepository}; add \"approvers:\" to the owning team's route first.");
        }

        if (await requests.FindPendingAsync(draft.FindingId, draft.Scope, cancellationToken) is { } pending)
        {
            return ExceptionRequestOutcome.Refused(409, "Already requested",
                $"Request {pending.RequestId} by {pending.Draft.Requester} for {draft.FindingId} in {draft.Scope} is waiting for a decision.");
        }

        var request = new ExceptionRequest("exr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), draft, team.Name, representative,
            ExceptionRequestStates.Requested, now, null, null, null);
        if (!await requests.CreateAsync(request, cancellationToken))
        {
            return ExceptionRequestOutcome.Refused(409, "Already requested", $"A request for {draft.FindingId} in {draft.Scope} is waiting for a decision.");
        }

        await AuditAsync(request, "EXCEPTION_REQUESTED", draft.Requester, $"requested {draft.FindingId} ({draft.Scope}) until {draft.Expires:yyyy-MM-dd}: {draft.Reason}",
            covered.Select(c => c.Artifact), now, cancellationToken);
        await publisher.Publish(Changed(request, team.Approvers, now), cancellationToken);
        logger.LogInformation("Exception request {RequestId} for {FindingId} ({Scope}) by {Requester}; team {Team} notified", request.RequestId,
            draft.FindingId, draft.Scope, draft.Requester, team.Name);
        return new(201, null, null, request, covered.Count);
    }

    public async Task<ExceptionRequestOutcome> DecideAsync(string requestId, bool approve, string? approver, string? comment, IPublishEndpoint publisher,
        CancellationToken cancellationToken)
    {
        if (ExceptionRequestRules.IdentityProblem("approver", approver) is { } who)
        {
            return ExceptionRequestOutcome.Refused(400, "Bad decision", who.Replace("who is asking", "who decides", StringComparison.Ordinal));
        }

        if (comment is { Length: > ExceptionRequestRules.MaxReasonLength })
        {
            return ExceptionRequestOutcome.Refused(400, "Bad decision", $"\"comment\" is longer than {ExceptionRequestRules.MaxReasonLength} characters.");
        }

        approver = approver!.Trim();
        if (await requests.GetAsync(requestId, cancellationToken) is not { } request)
        {
            return ExceptionRequestOutcome.Refused(404, "Unknown request", $"There is no exception request {requestId}.");
        }

        if (request.State != ExceptionRequestStates.Requested)
        {
            return ExceptionRequestOutcome.Refused(409, "Already decided",
                $"Request {requestId} is {request.State}{(request.DecidedBy is null ? "" : $" (by {request.DecidedBy} at {request.DecidedAt:u})")}; nothing was changed.");
        }

        // Owners as the routing file says now, so that a change of approvers applies to pending requests too.
        var team = routing.Current.OwnerOf(request.Artifact);
        if (team is null || !team.Approvers.Contains(approver, StringComparer.OrdinalIgnoreCase))
        {
            var who2 = team is { Approvers.Count: > 0 } ? string.Join(", ", team.Approvers) : "nobody (the owning team lists no approvers)";
            return ExceptionRequestOutcome.Refused(403, "Not an owner",
                $"{approver} may not decide request {requestId}: it is for {request.Artifact.FullRepository}, owned by team {team?.Name ?? "(none)"}; may decide: {who2}.");
        }

        var now = time.GetUtcNow();
        if (approve && request.Draft.Expires < DateOnly.FromDateTime(now.UtcDateTime))
        {
            return ExceptionRequestOutcome.Refused(409, "Request out of date",
                $"The requested expiry {request.Draft.Expires:yyyy-MM-dd} has passed; deny this request and ask again with a new date.");
        }

        var to = approve ? ExceptionRequestStates.Approved : ExceptionRequestStates.Denied;
        if (!await requests.DecideAsync(requestId, ExceptionRequestStates.Requested, to, approver, now, comment, approve ? request.ToRule(approver) : null,
                cancellationToken))
        {
            return ExceptionRequestOutcome.Refused(409, "Already decided", $"Request {requestId} was decided by someone else meanwhile; nothing was changed.");
        }

        var decided = request with { State = to, DecidedBy = approver, DecidedAt = now, Comment = comment };
        var covered = await CoveredAsync(request.Draft, LiveStates, cancellationToken);
        await AuditAsync(decided, approve ? "EXCEPTION_APPROVED" : "EXCEPTION_DENIED", approver,
            $"{to} by {approver}{(string.IsNullOrWhiteSpace(comment) ? "" : ": " + comment)}", covered.Select(c => c.Artifact), now, cancellationToken);
        var reevaluated = approve ? await ReevaluateAsync(decided, covered.Where(c => GrantAffects.Contains(c.State)), "approved", publisher, now, cancellationToken) : 0;
        await publisher.Publish(Changed(decided, team.Approvers, now), cancellationToken);
        logger.LogInformation("Exception request {RequestId} {State} by {Approver}; {Count} artifact(s) queued for re-evaluation", requestId, to, approver, reevaluated);
        return new(200, null, null, decided, reevaluated);
    }

    /// <summary>Marks approved requests whose last day is over as expired, judges the artifacts in their scope again without
    /// them and tells the requester's team. Called by the exception expiry job; safe to run on several replicas at once.</summary>
    public async Task<int> ExpireLapsedAsync(IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expired = 0;
        foreach (var request in await requests.ListLapsedAsync(now, cancellationToken))
        {
            if (!await requests.DecideAsync(request.RequestId, ExceptionRequestStates.Approved, ExceptionRequestStates.Expired, null, now, null, null, cancellationToken))
            {
                continue;
            }

            expired++;
            var lapsed = request with { State = ExceptionRequestStates.Expired };
            var covered = await CoveredAsync(request.Draft, LiveStates, cancellationToken);
            await AuditAsync(lapsed, "EXCEPTION_EXPIRED", "harborbridge", $"expired after {request.Draft.Expires:yyyy-MM-dd}", covered.Select(c => c.Artifact), now,
                cancellationToken);
            await ReevaluateAsync(lapsed, covered.Where(c => ExpiryAffects.Contains(c.State)), "expired", publisher, now, cancellationToken);
            await publisher.Publish(Changed(lapsed, routing.Current.OwnerOf(request.Artifact)?.Approvers ?? [], now), cancellationToken);
        }

        return expired;
    }

    private async Task<List<RescanCandidate>> CoveredAsync(ExceptionRequestDraft draft, IReadOnlyList<string> states, CancellationToken cancellationToken)
    {
        if (draft.Digest is { } digest)
        {
            return (await artifacts.FindByDigestAsync(digest, cancellationToken))
                .Where(r => states.Contains(r.State) && draft.Covers(r.Artifact)).Select(r => new RescanCandidate(r.Artifact, r.State)).ToList();
        }

        return (await schedule.ListInStatesAsync(states, MaxCovered, cancellationToken)).Where(c => draft.Covers(c.Artifact)).ToList();
    }

    private async Task<int> ReevaluateAsync(ExceptionRequest request, IEnumerable<RescanCandidate> candidates, string why, IPublishEndpoint publisher,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var list = candidates.ToList();
        var cause = $"exception request {request.RequestId} {why} ({request.Draft.FindingId})";
        await AuditAsync(request, "EXCEPTION_REEVALUATION", "harborbridge", $"judged again: {cause}", list.Select(c => c.Artifact), now, cancellationToken);
        foreach (var candidate in list)
        {
            await publisher.Publish(new ReevaluateArtifact($"{request.RequestId}:{why}:{candidate.Artifact}", candidate.Artifact, cause, now), cancellationToken);
        }

        return list.Count;
    }

    /// <summary>One history entry per artifact; the event id makes a repeated step (a retry) one entry.</summary>
    private async Task AuditAsync(ExceptionRequest request, string type, string actor, string details, IEnumerable<ArtifactRef> covered, DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        foreach (var a in covered)
        {
            await artifacts.RecordEventAsync(new ArtifactEvent($"{request.RequestId}:{type}:{a}", type, a.Project, a.Repository, a.Digest, null, actor, at,
                $"{request.RequestId}: {details}"), null, cancellationToken);
        }
    }

    private static ExceptionRequestChanged Changed(ExceptionRequest r, IReadOnlyList<string> approvers, DateTimeOffset at) =>
        new(r.RequestId, r.State, r.Draft.FindingId, r.Draft.Scope, r.Artifact, r.Draft.Reason, r.Draft.Expires, r.Draft.Requester, r.Team, approvers,
            r.DecidedBy, r.Comment, at);
}
