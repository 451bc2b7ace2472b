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
/// quarantine now and answers with what was restored. Bad input is refused before anything is touched. The recorded
/// actor is <c>HarborBridge:Admin:IdentityHeader</c>'s value or <c>admin-token</c>; the body's <c>actor</c> is only a
/// claim, kept in the reason.</summary>
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
        string digest, HttpRequest request, IServiceProvider services, IOptions<HarborOptions> harbor, IOptions<Hosting.AdminOptions> admin,
        IPublishEndpoint publisher, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!DigestPattern().IsMatch(digest))
        {
            return TypedResults.Problem(statusCode: 400, title: "Malformed digest", detail: "Expected sha256:<64 lowercase hex digits>.");
        }

        var limit = admin.Value.MaxReleaseBodyBytes;
        if (request.ContentLength > limit || (await ReadLimitedAsync(request.Body, limit, cancellationToken)) is not { } body)
        {
            return TypedResults.Problem(statusCode: 413, title: "Payload too large",
                detail: $"The body is larger than {limit} bytes (HarborBridge:Admin:MaxReleaseBodyBytes).");
        }

        var (reason, claimed, problem) = ReadBody(request.ContentType, body);
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
        // "Who" is what the server knows, not what the body claims: the proxy's identity header or the token itself.
        var actor = Actor(request, admin.Value);
        var why = claimed is null || claimed == actor ? reason! : $"{reason} (claimed by: {claimed})";
        var command = new ReleaseArtifact(Guid.NewGuid().ToString("N"), new ArtifactRef("", "", digest), actor, why, "admin", time.GetUtcNow());
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

    /// <summary>Who the server knows is calling: the identity header's value, or <c>admin-token</c>.</summary>
    internal static string Actor(HttpRequest request, Hosting.AdminOptions admin)
    {
        var name = string.IsNullOrEmpty(admin.IdentityHeader) ? "" : request.Headers[admin.IdentityHeader].ToString().Trim();
        return name.Length is > 0 and <= 200 && !name.Any(char.IsControl) ? name : Hosting.AdminOptions.TokenActor;
    }

    /// <summary>The whole body, or null as soon as it is larger than <paramref name="limit"/> bytes.</summary>
    internal static async Task<byte[]?> ReadLimitedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static (string? Reason, string? Actor, string? Problem) ReadBody(string? contentType, byte[] body)
    {
        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, "Send a JSON body (Content-Type: application/json) such as {\"reason\": \"fixed upstream, see TICKET-1\"}.");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
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
                : null;
            return (reason, actor, null);
        }
        catch (JsonException)
        {
            return (null, null, "The body is not valid JSON.");
        }
    }

    internal sealed record ReleaseResponse(string Digest, string RequestId, IReadOnlyList<string> Released, IReadOnlyList<string> Restored);

    [GeneratedRegex("^sha256:[a-f0-9]{64}\\z")]
    private static partial Regex DigestPattern();
}
