using System.Text.RegularExpressions;
using HarborBridge.Core.Artifacts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HarborBridge.Api;

/// <summary><c>/api/v1/artifacts</c>: what HarborBridge knows about artifacts and their history.</summary>
internal static partial class ArtifactsApi
{
    public static RouteGroupBuilder MapArtifactsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/artifacts").AddEndpointFilter<AdminAuthorization>();
        group.MapGet("/", ListAsync);
        group.MapGet("/{digest}", GetAsync);
        return group;
    }

    private static async Task<Results<Ok<ArtifactListResponse>, ProblemHttpResult>> ListAsync(
        IArtifactStore store, string? state, string? project, int? limit, int? offset, CancellationToken cancellationToken)
    {
        string? canonicalState = null;
        if (!string.IsNullOrEmpty(state))
        {
            canonicalState = ArtifactStates.All.FirstOrDefault(s => s.Equals(state, StringComparison.OrdinalIgnoreCase));
            if (canonicalState is null)
            {
                return TypedResults.Problem(statusCode: 400, title: "Unknown state",
                    detail: $"state must be one of: {string.Join(", ", ArtifactStates.All)}.");
            }
        }

        if (limit is < 1 or > 1000)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad limit", detail: "limit must be between 1 and 1000.");
        }

        if (offset is < 0)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad offset", detail: "offset must be 0 or more.");
        }

        var (take, skip) = (limit ?? 100, offset ?? 0);
        var items = await store.ListAsync(canonicalState, string.IsNullOrEmpty(project) ? null : project, take, skip, cancellationToken);
        // A full page may have a next one; the caller asks for it with offset=next.
        return TypedResults.Ok(new ArtifactListResponse(items, skip, take, items.Count == take ? skip + take : null));
    }

    private static async Task<Results<Ok<ArtifactDetailResponse>, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>, ProblemHttpResult>> GetAsync(
        IArtifactStore store, IDecisionStore decisionStore, string digest, CancellationToken cancellationToken)
    {
        if (!DigestPattern().IsMatch(digest))
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed digest", detail: "Expected sha256:<64 hex digits>.");
        }

        var artifacts = await store.FindByDigestAsync(digest, cancellationToken);
        if (artifacts.Count == 0)
        {
            return TypedResults.NotFound(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = 404, Title = "Unknown artifact", Detail = $"HarborBridge has no record of {digest}.",
            });
        }

        var events = await store.GetEventsAsync(digest, cancellationToken);
        var decisions = (await decisionStore.GetDecisionsAsync(digest, cancellationToken)).Select(DecisionView.From).ToList();
        var transitions = await decisionStore.GetTransitionsAsync(digest, cancellationToken);
        return TypedResults.Ok(new ArtifactDetailResponse(digest, artifacts, decisions, transitions, events, History.SignatureRecords.From(events)));
    }

    /// <summary>One page, most recently changed first; <paramref name="Next"/> is the offset of the next page (null on the last).</summary>
    internal sealed record ArtifactListResponse(IReadOnlyList<ArtifactRecord> Items, int Offset, int Limit, int? Next);

    internal sealed record ArtifactDetailResponse(
        string Digest,
        IReadOnlyList<ArtifactRecord> Artifacts,
        IReadOnlyList<DecisionView> Decisions,
        IReadOnlyList<ArtifactTransition> Transitions,
        IReadOnlyList<ArtifactEvent> Events,
        IReadOnlyList<History.SignatureView> Signatures);

    /// <summary>A stored decision with its full explanation (findings, rules, exceptions) as structured JSON.</summary>
    internal sealed record DecisionView(
        string DecisionId,
        Contracts.ArtifactRef Artifact,
        string? Tag,
        string Verdict,
        bool Enforced,
        string PolicyVersion,
        string ReportDigest,
        string Reason,
        string Cause,
        DateTimeOffset DecidedAt,
        IReadOnlyList<Contracts.DecidingFinding> Findings,
        System.Text.Json.JsonElement Detail)
    {
        public static DecisionView From(DecisionRecord d) => new(d.DecisionId, d.Artifact, d.Tag, d.Verdict, d.Enforced, d.PolicyVersion,
            d.ReportDigest, d.Reason, d.Cause, d.DecidedAt, d.Findings, System.Text.Json.JsonDocument.Parse(d.DecisionJson).RootElement.Clone());
    }

    [GeneratedRegex("^sha256:[a-f0-9]{64}\\z")]
    private static partial Regex DigestPattern();
}
