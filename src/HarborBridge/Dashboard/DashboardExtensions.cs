using HarborBridge.Api;
using HarborBridge.Core.Artifacts;
using HarborBridge.Hosting;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Prometheus;

namespace HarborBridge.Dashboard;

/// <summary>The dashboard at <c>/</c> (static files embedded in the executable, no CDN), its statistics endpoint, and
/// <c>/metrics</c>.</summary>
internal static class DashboardExtensions
{
    private const string ResourcePrefix = "HarborBridge.Dashboard.assets.";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddSingleton<DashboardQueries>();
        services.AddConsumeObserver<InFlightObserver>();
        return services;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapGet("/", () => Asset("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file) => Asset(file)).ExcludeFromDescription();
        app.MapGroup("/api/v1/stats").AddEndpointFilter<AdminAuthorization>().MapGet("/decisions", DecisionsAsync);
        return app;
    }

    /// <summary><c>/metrics</c>, optionally only for callers with the admin token (<c>HarborBridge:Metrics:RequireAdminToken</c>).
    /// Scrapes read in-memory values only; the per-state artifact gauge is refreshed by <see cref="ArtifactGaugeRefresher"/>.</summary>
    public static WebApplication MapProtectedMetrics(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetricsOptions>>().Value;
        if (settings.RequireAdminToken)
        {
            var admin = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdminOptions>>().Value;
            app.Use(async (context, next) =>
            {
                if (context.Request.Path.Equals("/metrics", StringComparison.Ordinal)
                    && (string.IsNullOrEmpty(admin.Token) || !AdminAuthorization.IsValid(admin.Token, context.Request)))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    await context.Response.WriteAsJsonAsync(new Microsoft.AspNetCore.Mvc.ProblemDetails
                    {
                        Status = 401, Title = "Unauthorized", Detail = "Send Authorization: Bearer <HarborBridge:Admin:Token> (HarborBridge:Metrics:RequireAdminToken is on).",
                    }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted);
                    return;
                }

                await next(context);
            });
        }

        app.MapMetrics();
        return app;
    }

    private static IResult Asset(string file)
    {
        var extension = Path.GetExtension(file);
        if (!ContentTypes.TryGetValue(extension, out var contentType))
        {
            return TypedResults.NotFound();
        }

        var stream = typeof(DashboardExtensions).Assembly.GetManifestResourceStream(ResourcePrefix + file);
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, contentType);
    }

    private static async Task<Results<Ok<DecisionStats.Response>, ProblemHttpResult>> DecisionsAsync(
        DashboardQueries queries, TimeProvider time, string? bucket, CancellationToken cancellationToken)
    {
        var (size, count) = (bucket ?? "hour") switch
        {
            "hour" => (TimeSpan.FromHours(1), 24),
            "day" => (TimeSpan.FromDays(1), 30),
            _ => (TimeSpan.Zero, 0),
        };
        if (count == 0)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad bucket", detail: "bucket must be hour (last 24 hours) or day (last 30 days).");
        }

        var now = time.GetUtcNow();
        var decisions = await queries.DecisionsSinceAsync(now - size * count, cancellationToken);
        return TypedResults.Ok(new DecisionStats.Response(bucket ?? "hour", DecisionStats.Count(decisions, now, size, count)));
    }
}
