using Serilog.Events;

namespace HarborBridge.Hosting;

/// <summary>The level of the one-event-per-request log. A webhook the intake accepted is already logged by the intake
/// (with what it became), and probes and scrapes come every few seconds; logging those requests a second time at
/// Information doubled the console output per webhook, and the console sink writes synchronously under a lock. They
/// go to Debug; failures keep their level.</summary>
internal static class RequestLogLevels
{
    private static readonly string[] QuietPaths = ["/webhooks/harbor", "/healthz", "/readyz", "/metrics"];

    public static LogEventLevel For(HttpContext http, double elapsedMs, Exception? error)
    {
        ArgumentNullException.ThrowIfNull(http);
        var status = http.Response.StatusCode;
        if (error is not null || status >= 500)
        {
            return LogEventLevel.Error;
        }

        var path = http.Request.Path;
        return status < 400 && QuietPaths.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase))
            ? LogEventLevel.Debug
            : LogEventLevel.Information;
    }
}
