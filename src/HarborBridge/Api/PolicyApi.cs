using System.Text;
using HarborBridge.Core.Policy;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HarborBridge.Api;

/// <summary>
/// <c>POST /api/v1/policy/preview</c> (body: a candidate policy's YAML): what it would change over every decided artifact,
/// judged on the stored reports; nothing is changed. <c>POST /api/v1/policy/accept?acceptImpact=N</c> (same body): accepts
/// that exact file content when it would newly block at most N artifacts, so the reload guard lets it come into force on
/// every replica. An invalid policy is a 400 with the loader's message (file, line, field).
/// </summary>
internal static class PolicyApi
{
    /// <summary>Policy files are admin-written text; a few megabytes is far beyond any real one.</summary>
    public const int MaxPolicyBytes = 4 * 1024 * 1024;

    public static RouteGroupBuilder MapPolicyApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/policy").AddEndpointFilter<AdminAuthorization>();
        group.MapPost("/preview", PreviewAsync);
        group.MapPost("/accept", AcceptAsync);
        return group;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> PreviewAsync(
        HttpRequest request, PolicyPreviewService preview, CancellationToken cancellationToken)
    {
        var (yaml, problem) = await ReadPolicyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var impact = await preview.PreviewAsync(yaml!, cancellationToken);
            return TypedResults.Content(PolicyImpactRenderer.ToJson(impact), "application/json", Encoding.UTF8);
        }
        catch (PolicyFileException e)
        {
            return TypedResults.Problem(statusCode: 400, title: "Invalid policy", detail: e.Message);
        }
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> AcceptAsync(
        HttpRequest request, int? acceptImpact, PolicyPreviewService preview, SqlPolicyPreviewStore store, PolicyReloadGuard guard,
        IOptions<Hosting.AdminOptions> admin, TimeProvider time, CancellationToken cancellationToken)
    {
        if (acceptImpact is not { } limit || limit < 0)
        {
            return TypedResults.Problem(statusCode: 400, title: "Missing acceptImpact",
                detail: "Say how many newly blocked artifacts you accept: ?acceptImpact=N (N >= 0), as shown by the preview.");
        }

        var (yaml, problem) = await ReadPolicyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        PolicyImpact impact;
        try
        {
            impact = await preview.PreviewAsync(yaml!, cancellationToken);
        }
        catch (PolicyFileException e)
        {
            return TypedResults.Problem(statusCode: 400, title: "Invalid policy", detail: e.Message);
        }

        var blocked = impact.Count(PreviewChange.Blocked);
        if (blocked > limit)
        {
            return TypedResults.Problem(statusCode: 409, title: "Impact larger than accepted",
                detail: $"This policy would newly block {blocked} artifact(s), more than the {limit} you accepted; nothing was stored. " +
                        "Review the preview and accept the real number, or change the policy.",
                extensions: new Dictionary<string, object?> { ["newlyBlocked"] = blocked, ["acceptImpact"] = limit });
        }

        var hash = PolicyProvider.ContentHash(yaml!);
        await store.AcceptAsync(new PolicyAcceptance(hash, impact.CandidateVersion, limit, blocked, ReleaseApi.Actor(request, admin.Value), time.GetUtcNow()),
            cancellationToken);
        guard.AcceptanceStored();
        return TypedResults.Content(System.Text.Json.JsonSerializer.Serialize(
            new { contentHash = hash, policyVersion = impact.CandidateVersion, newlyBlocked = blocked, acceptImpact = limit, impact },
            PolicyImpactRenderer.Json), "application/json", Encoding.UTF8);
    }

    private static async Task<(string? Yaml, ProblemHttpResult? Problem)> ReadPolicyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxPolicyBytes || await ReleaseApi.ReadLimitedAsync(request.Body, MaxPolicyBytes, cancellationToken) is not { } body)
        {
            return (null, TypedResults.Problem(statusCode: 413, title: "Payload too large", detail: $"A policy file is at most {MaxPolicyBytes} bytes."));
        }

        if (body.Length == 0)
        {
            return (null, TypedResults.Problem(statusCode: 400, title: "Invalid policy", detail: "The body is empty: send the candidate policy file's YAML."));
        }

        try
        {
            return (new UTF8Encoding(false, true).GetString(body), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, TypedResults.Problem(statusCode: 400, title: "Invalid policy", detail: "The body is not UTF-8 text."));
        }
    }
}
