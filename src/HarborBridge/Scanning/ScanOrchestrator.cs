using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Decisions;
using HarborBridge.Harbor;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scanning;

/// <summary>
/// From a push to a decision: asks Harbor to scan, fetches the report through the API (the webhook's summary is
/// never enough to decide), evaluates the policy, stores the decision and publishes ArtifactApproved, ArtifactWarned
/// or ArtifactBlocked. Every step is idempotent per cause: a redelivered message republishes the stored decision.
/// </summary>
internal sealed class ScanOrchestrator(
    IServiceProvider services,
    IOptions<HarborOptions> harborOptions,
    IDecisionStore decisions,
    DecisionService decider,
    VerdictPublisher verdicts,
    ScanFailureHandler failures,
    IOptions<PolicyOptions> scanOptions,
    IOptions<Scanning.TrivyOptions> trivyOptions,
    ProjectAutoScanCache autoScans,
    Hosting.PipelineMetrics metrics,
    TimeProvider time,
    ILogger<ScanOrchestrator> logger)
{
    // A typed HTTP client, resolved per use so that its handler rotates; this class exists only where Harbor is
    // configured (record-only processes register no scan consumer: HarborMode).
    private IHarborClient Harbor => services.GetRequiredService<IHarborClient>();

    private bool TrivyMode => trivyOptions.Value.Enabled;

    public async Task RequestScanAsync(ArtifactPushed pushed, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = pushed.Artifact;
        if (await IsAccessoryByManifestAsync(a, pushed.Tag, cancellationToken))
        {
            return;
        }

        if ((await decisions.GetStatusAsync(a, cancellationToken))?.State == ArtifactState.Deleted)
        {
            // The push of a deleted digest revives it (the history consumer does the same under the same transition id).
            await decisions.ApplyAsync(new LifecycleChange(a, new PushedCause(pushed.OccurredAt), $"{pushed.EventId}:pushed",
                "pushed again after its deletion", pushed.Pusher ?? "harbor", time.GetUtcNow(), SkipIfUnchanged: true), cancellationToken);
        }

        if (TrivyMode)
        {
            await ScanWithTrivyAsync(a, pushed.Tag, pushed.EventId, pushed.Pusher ?? "harbor", publisher, cancellationToken);
            return;
        }

        var artifact = await Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (artifact is null)
        {
            logger.LogInformation("Artifact {Project}/{Repository}@{Digest} is gone from Harbor; nothing to scan", a.Project, a.Repository, a.Digest);
            return;
        }

        if (Core.Webhooks.WebhookLoopFilter.IsAccessory(artifact))
        {
            logger.LogInformation("{Project}/{Repository}@{Digest} is a cosign/sigstore accessory; not scanned or decided", a.Project, a.Repository, a.Digest);
            return;
        }

        if (artifact.ChildDigests.Count > 0)
        {
            // An image index: Harbor scans each platform manifest; the index is decided when all of them are.
            await decisions.RecordChildrenAsync(a, artifact.ChildDigests, cancellationToken);
            await verdicts.DecideIndexIfCompleteAsync(a, pushed.Tag, publisher, cancellationToken);
        }

        if (!await decisions.CanRequestScanAsync(a, pushed.EventId, cancellationToken))
        {
            logger.LogInformation("Scan of {Project}/{Repository}@{Digest} already requested or decided", a.Project, a.Repository, a.Digest);
            return;
        }

        var autoScan = await autoScans.ScansOnPushAsync(a.Project, cancellationToken);
        if (autoScan)
        {
            logger.LogInformation("Project {Project} scans on push; waiting for Harbor's scan of {Digest}", a.Project, a.Digest);
        }
        else if (ScannedSince(artifact, pushed.OccurredAt) is { } status)
        {
            // A scan of this push exists already: ours, when recording it failed after Harbor accepted it (the message is
            // a retry), or one started by someone else. Asking again would scan twice and decide twice.
            logger.LogInformation("Harbor has a {ScanStatus} scan of {Project}/{Repository}@{Digest} since its push; not asking again",
                status, a.Project, a.Repository, a.Digest);
        }
        else
        {
            // Harbor first, then the record: when Harbor fails the message is retried and asks again, instead of finding
            // the scan recorded as requested and leaving it to the scan-timeout sweep.
            var started = await Harbor.StartScanAsync(a.Project, a.Repository, a.Digest, cancellationToken);
            logger.LogInformation("Asked Harbor to scan {Project}/{Repository}@{Digest}: {ScanStart}", a.Project, a.Repository, a.Digest, started);
        }

        await MarkScanRequestedAsync(a, pushed.EventId, pushed.Pusher ?? "harbor", autoScan ? "harbor_auto_scan" : "harbor", cancellationToken);
    }

    private async Task MarkScanRequestedAsync(ArtifactRef a, string causeId, string actor, string mode, CancellationToken cancellationToken)
    {
        var result = await decisions.ApplyAsync(new LifecycleChange(a, new ScanRequestedCause(), LifecycleSql.ScanTransitionId(causeId),
            "scan requested", actor, time.GetUtcNow()), cancellationToken);
        if (result.Recorded)
        {
            metrics.ScanRequested(mode);
        }
    }

    /// <summary>Direct Trivy mode: scan the digest with the trivy executable and decide from its report. The scan counts as
    /// done only once it is decided: a failure between the two (a crash, a database error) runs the whole step again.</summary>
    private async Task ScanWithTrivyAsync(ArtifactRef a, string? tag, string causeId, string actor, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var trivyCause = $"trivy:{causeId}";
        if ((await decisions.GetDecisionsAsync(a.Digest, cancellationToken)).FirstOrDefault(d => d.DecisionId == DecisionService.DecisionId(trivyCause, a)) is { } decided)
        {
            logger.LogInformation("Trivy scan of {Project}/{Repository}@{Digest} was decided before; republishing", a.Project, a.Repository, a.Digest);
            await verdicts.RepublishIfInForceAsync(decided, publisher, cancellationToken);
            return;
        }

        if ((await decisions.GetStatusAsync(a, cancellationToken)) is { } status && !ArtifactLifecycle.IsUndecided(status.State))
        {
            logger.LogInformation("{Project}/{Repository}@{Digest} is decided already ({State})", a.Project, a.Repository, a.Digest, status.State);
            return;
        }

        var evidence = await decider.FetchAsync(a, cancellationToken);
        await MarkScanRequestedAsync(a, trivyCause, actor, "trivy", cancellationToken);
        if (evidence.Report is null)
        {
            logger.LogWarning("Trivy scan of {Project}/{Repository}@{Digest} failed: {Problem}", a.Project, a.Repository, a.Digest, evidence.Failure);
            await failures.ApplyScanFailureAsync(a, tag, "Error", trivyCause, confirmed: true, publisher, cancellationToken);
            return;
        }

        await DecideAsync(a, evidence.Report, tag, trivyCause, "direct Trivy scan", publisher, cancellationToken);
    }

    public async Task EvaluateAsync(ArtifactRef a, string? tag, string causeId, string cause, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        if (failures.IgnoredInTrivyMode(a, cause))
        {
            return;
        }

        if (tag is not null && Core.Webhooks.WebhookLoopFilter.IsAccessoryTag(tag))
        {
            logger.LogInformation("{Project}/{Repository}:{Tag} is a cosign accessory; its scan is not decided", a.Project, a.Repository, tag);
            return;
        }

        if (await IsAccessoryByManifestAsync(a, tag, cancellationToken))
        {
            return;
        }

        var evidence = await decider.FetchAsync(a, cancellationToken);
        if (evidence.Pending || evidence.Report is null)
        {
            // A newer scan has started and replaced the report: judging "no report" now would decide on nothing. The newer
            // scan's own SCANNING_COMPLETED decides (or the scan-timeout sweep, if that webhook is lost).
            logger.LogInformation("Report of {Project}/{Repository}@{Digest} is being replaced by a newer scan; its result will decide", a.Project, a.Repository, a.Digest);
            return;
        }

        await DecideAsync(a, evidence.Report, tag, causeId, cause, publisher, cancellationToken, evidence.Harbor);
    }

    /// <summary>A scan that timed out, or a failed scan held for a retry: use Harbor's result if it has one, otherwise
    /// start the scan again until <see cref="PolicyOptions.MaxScanAttempts"/>, then treat it as failed (onScanFailure).</summary>
    public async Task CheckScanAsync(CheckScan check, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = check.Artifact;
        var causeId = $"scan-check:{a}:{check.Attempts}";
        var held = (await decisions.GetStatusAsync(a, cancellationToken))?.State == ArtifactState.ScanFailed;
        if (TrivyMode)
        {
            // Direct Trivy mode: Harbor has no scanner to ask; run Trivy again.
            await ScanWithTrivyAsync(a, null, causeId, "scan-timeout sweep", publisher, cancellationToken);
            return;
        }

        var artifact = await Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (artifact is null)
        {
            await decisions.ApplyAsync(new LifecycleChange(a, new DeletedCause(time.GetUtcNow()), $"{causeId}:gone",
                "artifact no longer in Harbor", "scan-timeout sweep", time.GetUtcNow()), cancellationToken);
            return;
        }

        var status = artifact.ScanOverviews.FirstOrDefault()?.ScanStatus;
        if (status == "Success")
        {
            logger.LogInformation("Scan of {Digest} finished but its webhook never arrived; deciding now", a.Digest);
            await EvaluateAsync(a, artifact.Tags.FirstOrDefault(), causeId, "scan result found by the scan-timeout sweep", publisher, cancellationToken);
            return;
        }

        if (status is "Error" or "Stopped" && !held)
        {
            await failures.ApplyScanFailureAsync(a, artifact.Tags.FirstOrDefault(), status, causeId, confirmed: true, publisher, cancellationToken);
            return;
        }

        if (check.Attempts < scanOptions.Value.MaxScanAttempts)
        {
            // As for the first request: Harbor first, so a failed start is retried with the message, not counted as an attempt.
            if (await decisions.CanRequestScanAsync(a, causeId, cancellationToken))
            {
                var started = await Harbor.StartScanAsync(a.Project, a.Repository, a.Digest, cancellationToken);
                logger.LogWarning("Scan of {Project}/{Repository}@{Digest} {Why} (attempt {Attempt}); asked Harbor again: {ScanStart}",
                    a.Project, a.Repository, a.Digest, held ? "failed before" : "timed out", check.Attempts, started);
                await MarkScanRequestedAsync(a, causeId, "scan-timeout sweep", "retry", cancellationToken);
            }

            return;
        }

        if (!held)
        {
            logger.LogWarning("Scan of {Project}/{Repository}@{Digest} did not finish after {Attempts} attempts", a.Project, a.Repository, a.Digest, check.Attempts);
            await failures.ApplyScanFailureAsync(a, artifact.Tags.FirstOrDefault(), "Timeout", causeId, confirmed: true, publisher, cancellationToken);
        }
    }

    /// <summary>An artifact pushed or scanned by digest alone may be an OCI referrer (a Sigstore bundle or attestation with a
    /// <c>subject</c>), and one tagged like the referrers fallback tag (<c>sha256-&lt;hex&gt;</c>) may be the fallback index:
    /// its manifest says so. Anybody can push an image under such a tag, so the tag alone never exempts it. Artifacts with
    /// cosign's <c>.sig</c>/<c>.att</c>/<c>.sbom</c> tags were judged at the webhook already. HarborBridge never decides,
    /// signs or attests an accessory: signing one writes another, which would be decided again.</summary>
    private async Task<bool> IsAccessoryByManifestAsync(ArtifactRef a, string? tag, CancellationToken cancellationToken)
    {
        if ((tag is not null && !Core.Webhooks.WebhookLoopFilter.IsReferrersFallbackTag(tag)) || harborOptions.Value.Url is not { Length: > 0 } url)
        {
            return false;
        }

        var registry = services.GetRequiredService<HarborBridge.Harbor.Oci.IOciRegistryClient>();
        var manifest = await registry.GetManifestAsync(HarborBridge.Harbor.Oci.OciRepository.InHarbor(new Uri(url), a.Project, a.Repository), a.Digest, cancellationToken);
        if (manifest is null || !Core.Webhooks.WebhookLoopFilter.IsAccessoryManifest(manifest.Content))
        {
            return false;
        }

        logger.LogInformation("{Project}/{Repository}@{Digest} is a cosign/sigstore accessory by its manifest; not scanned or decided", a.Project, a.Repository, a.Digest);
        return true;
    }

    /// <summary>The status of a scan Harbor started at or after <paramref name="pushedAt"/> (both are Harbor's clock), or
    /// null when there is none.</summary>
    private static string? ScannedSince(HarborArtifact artifact, DateTimeOffset pushedAt) =>
        artifact.ScanOverviews.FirstOrDefault(o => o.StartTime >= pushedAt && o.ScanStatus is "Pending" or "Running" or "Scheduled" or "Success")?.ScanStatus;

    /// <summary>Judges the report against the policy in force, then stores and publishes the decision.</summary>
    private async Task DecideAsync(ArtifactRef a, ScanReport report, string? tag, string causeId, string cause, IPublishEndpoint publisher,
        CancellationToken cancellationToken, DecidedReport? harborReport = null)
    {
        var decision = await decider.EvaluateAsync(a, report, cancellationToken);
        var result = await decider.RecordAsync(decision, new ScanVerdictCause(decision.Verdict, decision.Enforced, decision.ReportCreatedAt), causeId, tag, cause,
            cancellationToken);
        if (result.Step.ReleaseRequested && result.Recorded)
        {
            await decider.RequestReleaseAsync(a, causeId, decision, "newer report", publisher, cancellationToken);
            return;
        }

        await verdicts.PublishOutcomeAsync(result, publisher, cancellationToken, harborReport, decision);
    }
}
