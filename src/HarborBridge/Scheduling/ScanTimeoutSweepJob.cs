using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;

namespace HarborBridge.Scheduling;

/// <summary>Finds scans that were requested but never reported back (Harbor dropped the webhook, or the scan hangs), and
/// artifacts held in ScanFailed (onScanFailure: hold) whose back-off has run out — ScanTimeout × 2^(attempts − 1) after
/// the failure, until MaxScanAttempts — and publishes <see cref="CheckScan"/> for each. It only publishes; the consumer
/// does the work.</summary>
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
        var timeout = options.Value.ScanTimeout;
        var stale = (await decisions.FindStaleScansAsync(now - timeout, options.Value.MaxScanAttempts, BatchSize, cancellationToken))
            .Where(s => s.State != ArtifactState.ScanFailed || s.UpdatedAt + Backoff(timeout, s.Attempts) <= now)
            .ToList();
        foreach (var scan in stale)
        {
            await bus.Publish(new CheckScan(scan.Artifact, scan.Attempts, now), cancellationToken);
        }

        if (stale.Count > 0)
        {
            logger.LogInformation("Scan-timeout sweep: {Count} scan(s) older than {ScanTimeout} or held after a failure to check", stale.Count, timeout);
        }
    }

    /// <summary>How long a failed scan waits before its next attempt: the scan timeout, doubled with each attempt made.</summary>
    internal static TimeSpan Backoff(TimeSpan timeout, int attempts) => timeout * Math.Pow(2, Math.Clamp(attempts - 1, 0, 16));
}
