using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serilog;
using Serilog.Formatting.Compact;
using Serilog.Sinks.SystemConsole.Themes;

namespace HarborBridge.Hosting;

internal static class ObservabilityExtensions
{
    /// <summary>Serilog from configuration: readable coloured lines on a terminal, compact JSON otherwise
    /// (<see cref="LoggingOptions"/>). MassTransit's per-endpoint and Quartz's start-up chatter are at Warning unless
    /// <c>Serilog:MinimumLevel:Override</c> says otherwise; <see cref="StartupSummary"/> says what started.</summary>
    public static WebApplicationBuilder AddLogging(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LoggingOptions.SectionName).Get<LoggingOptions>() ?? new LoggingOptions();
        var format = ConsoleLogFormats.Choose(options.Format, !Console.IsOutputRedirected, builder.Environment.IsDevelopment());
        builder.Services.AddSerilog((services, lc) =>
        {
            // Defaults first, so that Serilog:MinimumLevel:Override in configuration can change them.
            lc.MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
              .MinimumLevel.Override("MassTransit", Serilog.Events.LogEventLevel.Warning)
              .MinimumLevel.Override("Quartz", Serilog.Events.LogEventLevel.Warning)
              .ReadFrom.Configuration(builder.Configuration)
              .ReadFrom.Services(services)
              .Enrich.FromLogContext()
              // A failed start is reported once, by HarborBridgeServer, as a readable message rather than a stack trace.
              .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", Serilog.Events.LogEventLevel.Fatal);
            if (!options.Console)
            {
                return;
            }

            if (format == ConsoleLogFormat.Text)
            {
                lc.WriteTo.Console(outputTemplate: ConsoleLogFormats.TextTemplate, theme: AnsiConsoleTheme.Code,
                    formatProvider: CultureInfo.InvariantCulture);
            }
            else
            {
                lc.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
        }, preserveStaticLogger: true);
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteAsync,
        });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data.Count > 0 ? e.Value.Data : null }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonOptions));
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
