using HarborBridge.Contracts;
using HarborBridge.Core.Policy;

namespace HarborBridge.Exceptions;

/// <summary>States of an exception request, as stored and shown.</summary>
internal static class ExceptionRequestStates
{
    public const string Requested = "requested";
    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Expired = "expired";
}

/// <summary>An exception request as stored: what was asked, by whom, for which artifact it was made, and its outcome.</summary>
internal sealed record ExceptionRequest(
    string RequestId,
    ExceptionRequestDraft Draft,
    string? Team,
    ArtifactRef Artifact,
    string State,
    DateTimeOffset RequestedAt,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? Comment)
{
    /// <summary>The exception in force once approved: owner = the requester's team, the ticket names request and approver.</summary>
    public PolicyExceptionRule ToRule(string approver) =>
        Draft.ToRule(Team ?? Draft.Requester, $"exception request {RequestId}, requested by {Draft.Requester}, approved by {approver}");
}

/// <summary>Persistence of exception requests and of the exceptions granted from them.</summary>
internal interface IExceptionRequestStore : IGrantedExceptions
{
    /// <summary>Stores a new request. False, and nothing stored, when a request for the same finding and scope is pending.</summary>
    Task<bool> CreateAsync(ExceptionRequest request, CancellationToken cancellationToken);

    Task<ExceptionRequest?> GetAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Requests newest first, optionally in one state.</summary>
    Task<IReadOnlyList<ExceptionRequest>> ListAsync(string? state, int limit, CancellationToken cancellationToken);

    /// <summary>The pending request for the same finding and scope, if any.</summary>
    Task<ExceptionRequest?> FindPendingAsync(string findingId, string scope, CancellationToken cancellationToken);

    /// <summary>Moves a request from <paramref name="from"/> to <paramref name="to"/>; on approval also grants its exception,
    /// in the same transaction. False, and nothing changed, when the request is no longer in <paramref name="from"/>
    /// (someone else decided first).</summary>
    Task<bool> DecideAsync(string requestId, string from, string to, string? decidedBy, DateTimeOffset at, string? comment,
        PolicyExceptionRule? grant, CancellationToken cancellationToken);

    /// <summary>Approved requests whose last day is over at <paramref name="now"/> (to be marked expired).</summary>
    Task<IReadOnlyList<ExceptionRequest>> ListLapsedAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
