using HarborBridge.Core.Webhooks;
using HarborBridge.Hosting;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace HarborBridge.Webhooks;

/// <summary><c>POST /webhooks/harbor</c>: authenticate, validate, filter, publish, and answer 202 only
/// once the broker has confirmed. Nothing slow happens here: Harbor waits 3 s at most.</summary>
internal static class HarborWebhookEndpoints
{
    public const string Path = "/webhooks/harbor";

    public static IEndpointRouteBuilder MapHarborWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).WithName("HarborWebhook").DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> HandleAsync(
        HttpContext http,
        IOptions<WebhookOptions> options,
        WebhookIntake intake,
        WebhookAuthenticator authenticator,
        PipelineMetrics metrics,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!authenticator.PassesFirstCheck(http.Request))
        {
            return Unauthorized(metrics);
        }

        if (!TryGetFormat(http.Request, out var format))
        {
            metrics.Webhook("rejected", "content_type");
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                "Send application/json (Harbor's Default payload format) or application/cloudevents+json (CloudEvents).");
        }

        var body = await ReadBodyAsync(http.Request, settings.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            metrics.Webhook("rejected", "too_large");
            return Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large",
                $"The body is larger than {settings.MaxBodyBytes} bytes (HarborBridge:Webhook:MaxBodyBytes).");
        }

        var outcome = await intake.AcceptAsync(body, format, http.Request.Headers.Authorization.ToString(), cancellationToken);
        return outcome switch
        {
            IntakeOutcome.Unauthorized => Unauthorized(metrics),
            IntakeOutcome.Invalid invalid => Problem(StatusCodes.Status400BadRequest, "Malformed webhook", invalid.Reason),
            IntakeOutcome.Ignored ignored => TypedResults.Ok(new WebhookReply("ignored", ignored.EventId, ignored.Reason)),
            IntakeOutcome.Queued queued => TypedResults.Accepted((string?)null, new WebhookReply(queued.Duplicate ? "duplicate" : "queued", queued.EventId, null)),
            IntakeOutcome.Unavailable => UnavailableResult(),
            _ => throw new InvalidOperationException("unknown intake outcome"),
        };
    }

    private static IResult UnavailableResult()
    {
        var problem = Problem(StatusCodes.Status503ServiceUnavailable, "Cannot enqueue",
            "The message broker did not confirm the event in time; nothing was accepted. Harbor will retry.");
        return new RetryAfterResult(problem, seconds: 5);
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static ProblemHttpResult Unauthorized(PipelineMetrics metrics)
    {
        metrics.Webhook("rejected", "auth");
        return Problem(StatusCodes.Status401Unauthorized, "Unauthorized",
            "The Authorization header does not match the webhook auth header configured in HarborBridge for this project.");
    }

    private static bool TryGetFormat(HttpRequest request, out WebhookPayloadFormat format)
    {
        format = WebhookPayloadFormat.Default;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
        {
            return false;
        }

        if (contentType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (contentType.MediaType.Equals("application/cloudevents+json", StringComparison.OrdinalIgnoreCase))
        {
            format = WebhookPayloadFormat.CloudEvents;
            return true;
        }

        return false;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is larger. With a Content-Length (Harbor
    /// sends one) the body is read straight into an array of that size, which Kestrel holds the client to.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body, cancellationToken);
            return body;
        }

        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private sealed record WebhookReply(string Status, string? EventId, string? Reason);

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
