using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace HarborBridge.LoadDriver;

/// <summary>HTTP load from <c>wrk</c> (Debian package <c>wrk</c>) with tests/load/webhook-push.lua: PUSH_ARTIFACT
/// webhooks, a new digest per request, over a fixed number of connections for a fixed time.</summary>
public static partial class WrkRunner
{
    public static string Script => Path.Combine(AppContext.BaseDirectory, "load-fixtures", "webhook-push.lua");

    public static async Task<WrkResult> RunAsync(Uri url, string authHeader, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "-t2", $"-c{connections.ToString(CultureInfo.InvariantCulture)}", $"-d{((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture)}s",
            "--latency", "-s", Script, url.ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AUTH"] = authHeader;
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("wrk is not installed (apt-get install wrk).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return Parse(await stdout, await stderr);
        }
    }

    internal static WrkResult Parse(string output, string errors)
    {
        var rate = RequestsPerSecond().Match(output);
        if (!rate.Success)
        {
            throw new InvalidOperationException($"Unexpected wrk output: {output} {errors}");
        }

        double Latency(string percentile)
        {
            var m = Regex.Match(output, $@"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline, TimeSpan.FromSeconds(1));
            if (!m.Success)
            {
                return double.NaN;
            }

            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }

        var total = TotalRequests().Match(output);
        var non2xx = Non2xx().Match(output);
        var unexpected = errors.Split('\n').Count(l => l.StartsWith("unexpected status", StringComparison.Ordinal));
        return new WrkResult(
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            total.Success ? long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            unexpected,
            Latency("50"), Latency("90"), Latency("99"));
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex TotalRequests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();
}

/// <summary>One wrk run: requests/s, totals, answers other than 2xx, latency percentiles in ms.</summary>
public sealed record WrkResult(double RequestsPerSecond, long Requests, long Non2xx, int UnexpectedStatusLines, double P50Ms, double P90Ms, double P99Ms);
