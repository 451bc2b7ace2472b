using HarborBridge.Api;
using HarborBridge.Core.Artifacts;
using HarborBridge.Hosting;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HarborBridge.Dashboard;

/// <summary>The dashboard at <c>/</c> (static files embedded in the executable, no CDN), its statistics endpoint, and
/// the gauges refreshed when <c>/metrics</c> is scraped.</summary>
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

    /// <summary>Refreshes the per-state gauge just before <c>/metrics</c> is written, so it is never stale and costs
    /// nothing between scrapes. A database failure leaves the last values (readiness reports the database).</summary>
    public static WebApplication UseScrapeTimeGauges(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals("/metrics", StringComparison.Ordinal))
            {
                await RefreshArtifactGaugeAsync(context.RequestServices, context.RequestAborted);
            }

            await next(context);
        });
        return app;
    }

    private static async Task RefreshArtifactGaugeAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        try
        {
            var counts = await services.GetRequiredService<DashboardQueries>().CountByStateAsync(cancellationToken);
            foreach (var state in ArtifactStates.All)
            {
                HarborBridgeMetrics.Artifacts.WithLabels(state).Set(counts.GetValueOrDefault(state));
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DashboardExtensions))
                .LogWarning("Could not count artifacts for /metrics: {Error}", e.Message);
        }
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
