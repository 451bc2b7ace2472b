using System.Text.Json;
using System.Text.RegularExpressions;
using HarborBridge.Contracts;
using HarborBridge.Harbor;
using HarborBridge.Quarantine;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HarborBridge.Api;

/// <summary><c>POST /api/v1/artifacts/{digest}/release</c> with <c>{"reason": "…", "actor": "…"}</c>: undoes the
/// quarantine now and answers with what was restored. Bad input is refused before anything is touched.</summary>
internal static partial class ReleaseApi
{
    private const int MaxReasonLength = 2000;

    public static RouteGroupBuilder MapReleaseApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/artifacts").AddEndpointFilter<AdminAuthorization>();
        group.MapPost("/{digest}/release", ReleaseAsync);
        return group;
    }

    private static async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> ReleaseAsync(
        string digest, HttpRequest request, IServiceProvider services, IOptions<HarborOptions> harbor, IPublishEndpoint publisher, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!DigestPattern().IsMatch(digest))
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed digest", detail: "Expected sha256:<64 lowercase hex digits>.");
        }

        var (reason, actor, problem) = await ReadBodyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad release request", detail: problem);
        }

        if (!harbor.Value.IsConfigured)
        {
            return TypedResults.Problem(statusCode: 503, title: "Harbor not configured",
                detail: "Set HarborBridge:Harbor:Url (and the robot's credentials): a release changes Harbor.");
        }

        var quarantine = services.GetRequiredService<ReleaseService>();
        var command = new ReleaseArtifact(Guid.NewGuid().ToString("N"), new ArtifactRef("", "", digest), actor!, reason!, "admin", time.GetUtcNow());
        var outcome = await quarantine.ReleaseAsync(command, publisher, cancellationToken);
        return outcome.Status switch
        {
            ReleaseStatus.Unknown => TypedResults.Problem(statusCode: 404, title: "Unknown artifact", detail: $"HarborBridge has no record of {digest}."),
            ReleaseStatus.NotQuarantined => TypedResults.Problem(statusCode: 409, title: "Not quarantined",
                detail: $"{digest} is not quarantined; nothing was changed."),
            ReleaseStatus.Incomplete => TypedResults.Problem(statusCode: 502, title: "Release incomplete",
                detail: $"Harbor did not accept every step. Left: {string.Join("; ", outcome.Left)}. Restored: {string.Join("; ", outcome.Restored)}. Send the same request again to retry.",
                extensions: new Dictionary<string, object?> { ["left"] = outcome.Left, ["restored"] = outcome.Restored }),
            _ => TypedResults.Ok(new ReleaseResponse(digest, command.RequestId, outcome.Released.Select(a => a.ToString()).ToList(), outcome.Restored)),
        };
    }

    private static async Task<(string? Reason, string? Actor, string? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, "Send a JSON body (Content-Type: application/json) such as {\"reason\": \"fixed upstream, see TICKET-1\"}.");
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null, "The body must be a JSON object such as {\"reason\": \"…\"}.");
            }

            var reason = document.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()!.Trim() : "";
            if (reason.Length == 0)
            {
                return (null, null, "\"reason\" is required: say why the artifact may be used again.");
            }

            if (reason.Length > MaxReasonLength)
            {
                return (null, null, $"\"reason\" is longer than {MaxReasonLength} characters.");
            }

            var actor = document.RootElement.TryGetProperty("actor", out var a) && a.ValueKind == JsonValueKind.String && a.GetString()!.Trim().Length > 0
                ? a.GetString()!.Trim()
                : "admin";
            return (reason, actor, null);
        }
        catch (JsonException)
        {
            return (null, null, "The body is not valid JSON.");
        }
    }

    internal sealed record ReleaseResponse(string Digest, string RequestId, IReadOnlyList<string> Released, IReadOnlyList<string> Restored);

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestPattern();
}
