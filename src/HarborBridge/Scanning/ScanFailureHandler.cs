using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Decisions;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scanning;

/// <summary>
/// Scan failures: a SCANNING_FAILED/STOPPED webhook is believed only when Harbor's own scan status says so, and the
/// policy's onScanFailure (hold, quarantine, allow) applies only to an artifact not yet decided on a report. Anything
/// else is refused by the life cycle and raises one operator alert.
/// </summary>
internal sealed class ScanFailureHandler(
    IServiceProvider services,
    IDecisionStore decisions,
    DecisionService decider,
    VerdictPublisher verdicts,
    PolicyProvider policies,
    IOptions<Scanning.TrivyOptions> trivyOptions,
    TimeProvider time,
    ILogger<ScanFailureHandler> logger)
{
    // A typed HTTP client, resolved per use so that its handler rotates.
    private IHarborClient Harbor => services.GetRequiredService<IHarborClient>();

    /// <summary>A SCANNING_FAILED/STOPPED webhook. It acts only when Harbor's own scan status of the artifact says the scan
    /// failed or stopped; anything else (a forged or stale event) is refused by the life cycle and raises one alert.</summary>
    public async Task HandleScanFailedEventAsync(ScanFailed failed, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = failed.Artifact;
        if (IgnoredInTrivyMode(a, $"SCANNING_{failed.ScanStatus.ToUpperInvariant()}"))
        {
            return;
        }

        var artifact = await Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        var harborStatus = artifact?.ScanOverviews.FirstOrDefault()?.ScanStatus;
        var confirmed = harborStatus is "Error" or "Stopped";
        await ApplyScanFailureAsync(a, failed.Tag, failed.ScanStatus, failed.EventId, confirmed, publisher, cancellationToken,
            $"Harbor's scan status of the artifact is {harborStatus ?? "unknown (artifact not found)"}");
    }

    /// <summary>Applies onScanFailure (hold, quarantine or allow) to a confirmed scan failure of an undecided artifact.</summary>
    public async Task ApplyScanFailureAsync(ArtifactRef a, string? tag, string status, string causeId, bool confirmed, IPublishEndpoint publisher,
        CancellationToken cancellationToken, string? evidence = null)
    {
        var (rules, _) = policies.Current.Policy.Resolve(a.Project, a.Repository);
        var cause = new ScanFailureCause(rules.OnScanFailure, confirmed);
        LifecycleResult result;
        if (rules.OnScanFailure == ScanFailureAction.Hold)
        {
            result = await decisions.ApplyAsync(new LifecycleChange(a, cause, $"{causeId}:{ArtifactStates.ScanFailed}",
                $"scan {status.ToLowerInvariant()}; onScanFailure: hold", "harbor", time.GetUtcNow()), cancellationToken);
            if (result.Recorded)
            {
                logger.LogWarning("Scan of {Project}/{Repository}@{Digest} ended {ScanStatus}; held for a rescan (onScanFailure: hold)", a.Project, a.Repository, a.Digest, status);
            }
        }
        else
        {
            // quarantine or allow: the policy judges the artifact as having no report.
            var decision = await decider.EvaluateAsync(a, ReportReader.Read("{}"u8), cancellationToken);
            result = await decider.RecordAsync(decision, cause, causeId, tag, $"scan {status.ToLowerInvariant()}", cancellationToken);
            await verdicts.PublishOutcomeAsync(result, publisher, cancellationToken);
        }

        if (result.Refused && evidence is not null)
        {
            await publisher.Publish(History.RefusedEventAlert.For("scan-failure", causeId, status == "Stopped" ? "SCANNING_STOPPED" : "SCANNING_FAILED", a,
                $"{result.Step.Refusal}. {evidence}. The artifact stays {result.From}", "no scan of it really failed", time.GetUtcNow()), cancellationToken);
        }
    }

    /// <summary>In direct Trivy mode Harbor's scans do not decide: their events are logged and ignored.</summary>
    public bool IgnoredInTrivyMode(ArtifactRef a, string cause)
    {
        var trivyMode = trivyOptions.Value.Enabled;
        if (trivyMode)
        {
            logger.LogWarning("{Cause} for {Project}/{Repository}@{Digest} ignored: HarborBridge scans with Trivy directly, Harbor's scans do not decide",
                cause, a.Project, a.Repository, a.Digest);
        }

        return trivyMode;
    }
}
