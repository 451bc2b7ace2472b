using System.Text.Json;
using HarborBridge.Exceptions;
using HarborBridge.Hosting;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HarborBridge.Api;

/// <summary>
/// <c>/api/v1/exceptions</c>: the exceptions in force (the policy file's and those granted from requests) and exception
/// requests: <c>POST /requests</c> asks, <c>POST /requests/{id}/approve</c> and <c>/deny</c> decide, <c>GET /requests</c>
/// lists. Admin token required; who asks or decides is the identity header's value when one is configured and sent, else
/// the body's <c>requester</c>/<c>approver</c> (docs/security.md). Refusals are problem+json with the reason.
/// </summary>
internal static class ExceptionRequestsApi
{
    private const int MaxList = 500;

    public static RouteGroupBuilder MapExceptionRequestsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/exceptions").AddEndpointFilter<AdminAuthorization>();
        group.MapGet("/", InForceAsync);
        group.MapPost("/requests", RequestAsync);
        group.MapGet("/requests", ListAsync);
        group.MapGet("/requests/{id}", GetAsync);
        group.MapPost("/requests/{id}/approve", (string id, HttpRequest request, ExceptionRequestService service, IOptions<AdminOptions> admin,
            IPublishEndpoint publisher, CancellationToken cancellationToken) => DecideAsync(id, true, request, service, admin, publisher, cancellationToken));
        group.MapPost("/requests/{id}/deny", (string id, HttpRequest request, ExceptionRequestService service, IOptions<AdminOptions> admin,
            IPublishEndpoint publisher, CancellationToken cancellationToken) => DecideAsync(id, false, request, service, admin, publisher, cancellationToken));
        return group;
    }

    private static async Task<Results<Created<ExceptionRequestView>, ProblemHttpResult>> RequestAsync(HttpRequest request, ExceptionRequestService service,
        IOptions<AdminOptions> admin, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var (body, problem) = await ReadAsync(request, admin.Value, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var root = body.RootElement;
        var outcome = await service.RequestAsync(Text(root, "findingId"), Text(root, "project"), Text(root, "repository"), Text(root, "digest"),
            Text(root, "reason"), Text(root, "expires"), Identity(request, admin.Value, Text(root, "requester")), publisher, cancellationToken);
        body.Dispose();
        return outcome.Request is { } created
            ? TypedResults.Created($"/api/v1/exceptions/requests/{created.RequestId}", ExceptionRequestView.From(created, outcome.Affected))
            : Refusal(outcome);
    }

    private static async Task<Results<Ok<ExceptionRequestView>, ProblemHttpResult>> DecideAsync(string id, bool approve, HttpRequest request,
        ExceptionRequestService service, IOptions<AdminOptions> admin, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var (body, problem) = await ReadAsync(request, admin.Value, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var root = body.RootElement;
        var outcome = await service.DecideAsync(id, approve, Identity(request, admin.Value, Text(root, "approver")), Text(root, "comment"), publisher,
            cancellationToken);
        body.Dispose();
        return outcome.Request is { } decided ? TypedResults.Ok(ExceptionRequestView.From(decided, outcome.Affected)) : Refusal(outcome);
    }

    private static async Task<Results<Ok<List<ExceptionRequestView>>, ProblemHttpResult>> ListAsync(IExceptionRequestStore store, string? state,
        CancellationToken cancellationToken)
    {
        string[] states = [ExceptionRequestStates.Requested, ExceptionRequestStates.Approved, ExceptionRequestStates.Denied, ExceptionRequestStates.Expired];
        if (state is not null && !states.Contains(state, StringComparer.Ordinal))
        {
            return TypedResults.Problem(statusCode: 400, title: "Unknown state", detail: $"state must be one of: {string.Join(", ", states)}.");
        }

        return TypedResults.Ok((await store.ListAsync(state, MaxList, cancellationToken)).Select(r => ExceptionRequestView.From(r)).ToList());
    }

    private static async Task<Results<Ok<ExceptionRequestView>, ProblemHttpResult>> GetAsync(string id, IExceptionRequestStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } found
            ? TypedResults.Ok(ExceptionRequestView.From(found))
            : TypedResults.Problem(statusCode: 404, title: "Unknown request", detail: $"There is no exception request {id}.");

    /// <summary>Every exception the decision path judges with now: the policy file's, then those granted from requests.</summary>
    private static async Task<Ok<List<ExceptionInForceView>>> InForceAsync(PolicyProvider policies, Core.Policy.IGrantedExceptions granted, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var file = policies.Current.Policy.Exceptions.Select(e => ExceptionInForceView.From(e, "policy"));
        var fromRequests = (await granted.InForceAsync(time.GetUtcNow(), cancellationToken)).Select(e => ExceptionInForceView.From(e, "request"));
        return TypedResults.Ok(file.Concat(fromRequests).ToList());
    }

    private static ProblemHttpResult Refusal(ExceptionRequestOutcome outcome) =>
        TypedResults.Problem(statusCode: outcome.Status, title: outcome.Title, detail: outcome.Problem);

    /// <summary>With an identity header configured and sent, the server knows who calls; the body's claim is not needed.</summary>
    private static string? Identity(HttpRequest request, AdminOptions admin, string? claimed)
    {
        var known = ReleaseApi.Actor(request, admin);
        return known != AdminOptions.TokenActor ? known : claimed;
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<(JsonDocument? Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, AdminOptions admin, CancellationToken cancellationToken)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TypedResults.Problem(statusCode: 415, title: "Send JSON", detail: "Send a JSON object with Content-Type: application/json."));
        }

        var limit = admin.MaxReleaseBodyBytes;
        if (request.ContentLength > limit || await ReleaseApi.ReadLimitedAsync(request.Body, limit, cancellationToken) is not { } bytes)
        {
            return (null, TypedResults.Problem(statusCode: 413, title: "Payload too large", detail: $"The body is larger than {limit} bytes."));
        }

        try
        {
            var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return (document, null);
            }

            document.Dispose();
            return (null, TypedResults.Problem(statusCode: 400, title: "Bad exception request", detail: "The body must be a JSON object."));
        }
        catch (JsonException)
        {
            return (null, TypedResults.Problem(statusCode: 400, title: "Bad exception request", detail: "The body is not valid JSON."));
        }
    }

    internal sealed record ExceptionRequestView(string RequestId, string State, string FindingId, string Project, string? Repository, string? Digest,
        string Scope, string Reason, string Expires, string Requester, string? Team, string Artifact, DateTimeOffset RequestedAt, string? DecidedBy,
        DateTimeOffset? DecidedAt, string? Comment, int? ArtifactsAffected)
    {
        public static ExceptionRequestView From(ExceptionRequest r, int? affected = null) => new(r.RequestId, r.State, r.Draft.FindingId, r.Draft.Project,
            r.Draft.Repository, r.Draft.Digest, r.Draft.Scope, r.Draft.Reason, r.Draft.Expires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            r.Draft.Requester, r.Team, r.Artifact.ToString(), r.RequestedAt, r.DecidedBy, r.DecidedAt, r.Comment, affected);
    }

    /// <summary>One exception in force; <c>policy check --exceptions-from</c> reads this shape back.</summary>
    internal sealed record ExceptionInForceView(string Source, string Id, string Scope, string? Project, string? Repository, string? Digest, string? Expires,
        string Reason, string? Owner, string? Ticket)
    {
        public static ExceptionInForceView From(Core.Policy.PolicyExceptionRule e, string source) => new(source, e.Id, e.Scope, e.Project?.Pattern,
            e.Repository?.Pattern, e.Digest, e.Expires?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), e.Reason, e.Owner, e.Ticket);
    }
}
