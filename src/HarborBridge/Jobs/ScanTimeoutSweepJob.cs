using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;

namespace HarborBridge.Jobs;

/// <summary>Finds scans that were requested but never reported back (Harbor dropped the webhook, or the scan hangs)
/// and publishes <see cref="CheckScan"/> for each. It only publishes; the consumer does the work.</summary>
[DisallowConcurrentExecution]
internal sealed class ScanTimeoutSweepJob(
    IDecisionStore decisions,
    IBus bus,
    IOptions<PolicyOptions> options,
    TimeProvider time,
    ILogger<ScanTimeoutSweepJob> logger) : IJob
{
    private const int BatchSize = 500;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var stale = await decisions.FindStaleScansAsync(now - options.Value.ScanTimeout, BatchSize, cancellationToken);
        foreach (var (artifact, attempts) in stale)
        {
            await bus.Publish(new CheckScan(artifact, attempts, now), cancellationToken);
        }

        if (stale.Count > 0)
        {
            logger.LogInformation("Scan-timeout sweep: {Count} scan(s) older than {ScanTimeout} to check", stale.Count, options.Value.ScanTimeout);
        }
    }
}
