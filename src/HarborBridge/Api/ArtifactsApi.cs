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
        IArtifactStore store, string? state, string? project, int? limit, CancellationToken cancellationToken)
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

        var items = await store.ListAsync(canonicalState, string.IsNullOrEmpty(project) ? null : project, limit ?? 100, cancellationToken);
        return TypedResults.Ok(new ArtifactListResponse(items));
    }

    private static async Task<Results<Ok<ArtifactDetailResponse>, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>, ProblemHttpResult>> GetAsync(
        IArtifactStore store, string digest, CancellationToken cancellationToken)
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
        return TypedResults.Ok(new ArtifactDetailResponse(digest, artifacts, events));
    }

    internal sealed record ArtifactListResponse(IReadOnlyList<ArtifactRecord> Items);

    internal sealed record ArtifactDetailResponse(string Digest, IReadOnlyList<ArtifactRecord> Artifacts, IReadOnlyList<ArtifactEvent> Events);

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestPattern();
}
