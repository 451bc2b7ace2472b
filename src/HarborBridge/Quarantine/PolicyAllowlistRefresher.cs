using HarborBridge.Harbor;
using HarborBridge.Policy;
using Microsoft.Extensions.Options;

namespace HarborBridge.Quarantine;

/// <summary>
/// Keeps the CVE allowlists that <c>prevent-pull</c> mirrors in step with the policy: every <see cref="Interval"/> it
/// reads the policy in force (which re-reads the file when it changed) and, when its version differs from the one the
/// allowlists were last written for (also once after the start: the file may have changed while the process was
/// down), or the system CVE allowlist that a project under <c>prevent-pull</c> builds on changed, writes them again (<see cref="QuarantineService.RefreshAllowlistsAsync"/>; a list that is right is not
/// written). Does nothing without Harbor. A failed round is logged and tried again at the next tick.
/// </summary>
internal sealed partial class PolicyAllowlistRefresher(
    IServiceScopeFactory scopes,
    PolicyProvider policy,
    TimeProvider time,
    ILogger<PolicyAllowlistRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private string? _writtenFor;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One round: refreshes the allowlists when the policy version (or the system CVE allowlist a project under
    /// <c>prevent-pull</c> builds on) changed since the last successful round.</summary>
    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var quarantine = scope.ServiceProvider.GetRequiredService<QuarantineService>();
            var inputs = await quarantine.AllowlistInputsAsync(cancellationToken);
            if (inputs == _writtenFor)
            {
                return;
            }

            var written = await quarantine.RefreshAllowlistsAsync(cancellationToken);
            _writtenFor = inputs;
            if (written.Count > 0)
            {
                LogRefreshed(logger, policy.Current.Policy.PolicyVersion, written.Count);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e.GetType().Name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy {PolicyVersion}: CVE allowlists of {Count} prevent-pull project(s) written again")]
    private static partial void LogRefreshed(ILogger logger, string policyVersion, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the prevent-pull CVE allowlists failed ({Error}: {Problem}); trying again in 30 s")]
    private static partial void LogFailed(ILogger logger, string error, string problem);
}
