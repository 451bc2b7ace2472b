using System.ComponentModel.DataAnnotations;
using HarborBridge.Core.Artifacts;
using HarborBridge.Hosting;
using Microsoft.Extensions.Options;

namespace HarborBridge.Dashboard;

/// <summary>Settings of <c>/metrics</c> (section <c>HarborBridge:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "HarborBridge:Metrics";

    /// <summary>Serve <c>/metrics</c> only with <c>Authorization: Bearer &lt;HarborBridge:Admin:Token&gt;</c>.</summary>
    public bool RequireAdminToken { get; set; }

    /// <summary>How often processes with the scheduler role count artifacts per state for <c>harborbridge_artifacts</c>
    /// (one database query per interval, none per scrape).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ArtifactGaugeInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Keeps the per-state artifact gauge up to date from the database at a fixed interval, so a scrape (or a
/// flood of scrapes) never queries the database. A failed count leaves the last values; readiness reports the database.</summary>
internal sealed class ArtifactGaugeRefresher(
    DashboardQueries queries,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<ArtifactGaugeRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ArtifactGaugeInterval, time);
        do
        {
            try
            {
                var counts = await queries.CountByStateAsync(stoppingToken);
                foreach (var state in ArtifactStates.All)
                {
                    HarborBridgeMetrics.Artifacts.WithLabels(state).Set(counts.GetValueOrDefault(state));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The host stops (or never finished starting, e.g. its port was taken) during a count: nothing to report.
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("Could not count artifacts for /metrics: {Error}", e.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
