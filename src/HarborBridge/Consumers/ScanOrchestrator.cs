using System.Security.Cryptography;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Harbor;
using HarborBridge.Policy;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Consumers;

/// <summary>
/// From a push to a decision: asks Harbor to scan, fetches the report through the API (the webhook's summary is
/// never enough to decide), evaluates the policy, stores the decision and publishes ArtifactApproved, ArtifactWarned
/// or ArtifactBlocked. Every step is idempotent per cause: a redelivered message republishes the stored decision.
/// </summary>
internal sealed class ScanOrchestrator(
    IServiceProvider services,
    IOptions<HarborOptions> harborOptions,
    IDecisionStore decisions,
    PolicyProvider policies,
    IOptions<PolicyOptions> scanOptions,
    IOptions<Scanning.TrivyOptions> trivyOptions,
    Scanning.TrivyRunner trivy,
    ProjectAutoScanCache autoScans,
    TimeProvider time,
    ILogger<ScanOrchestrator> logger)
{
    // Resolved only once Harbor is known to be configured: the client refuses to exist without a URL, and
    // the embedded default runs without Harbor (webhooks are then recorded, not scanned).
    private IHarborClient Harbor => services.GetRequiredService<IHarborClient>();

    public async Task RequestScanAsync(ArtifactPushed pushed, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        if (!IsHarborConfigured(pushed.Artifact))
        {
            return;
        }

        if (trivyOptions.Value.Enabled)
        {
            await ScanWithTrivyAsync(pushed, publisher, cancellationToken);
            return;
        }

        var a = pushed.Artifact;
        var artifact = await Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (artifact is null)
        {
            logger.LogInformation("Artifact {Project}/{Repository}@{Digest} is gone from Harbor; nothing to scan", a.Project, a.Repository, a.Digest);
            return;
        }

        if (artifact.ChildDigests.Count > 0)
        {
            // An image index: Harbor scans each platform manifest; the index is decided when all of them are.
            await decisions.RecordChildrenAsync(a, artifact.ChildDigests, cancellationToken);
            await DecideIndexIfCompleteAsync(a, pushed.Tag, publisher, cancellationToken);
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

        if (await decisions.MarkScanRequestedAsync(a, pushed.EventId, pushed.Pusher ?? "harbor", time.GetUtcNow(), cancellationToken))
        {
            Hosting.HarborBridgeMetrics.ScanRequests.WithLabels(autoScan ? "harbor_auto_scan" : "harbor").Inc();
        }
    }

    /// <summary>Direct Trivy mode: scan the digest with the trivy executable and decide from its report.</summary>
    private async Task ScanWithTrivyAsync(ArtifactPushed pushed, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = pushed.Artifact;
        if (!await decisions.CanRequestScanAsync(a, pushed.EventId, cancellationToken))
        {
            logger.LogInformation("Scan of {Project}/{Repository}@{Digest} already requested or decided", a.Project, a.Repository, a.Digest);
            return;
        }

        // The scan runs before anything is recorded, so a scan cut short (a crash, a stop) runs again on redelivery.
        ScanReport? report = null;
        Exception? failure = null;
        try
        {
            report = ReportReader.Read(await trivy.ScanAsync(a, cancellationToken));
        }
        catch (Exception e) when (e is Scanning.TrivyScanException or ReportFormatException)
        {
            failure = e;
        }

        if (await decisions.MarkScanRequestedAsync(a, pushed.EventId, pushed.Pusher ?? "harbor", time.GetUtcNow(), cancellationToken))
        {
            Hosting.HarborBridgeMetrics.ScanRequests.WithLabels("trivy").Inc();
        }

        if (report is null)
        {
            logger.LogWarning("Trivy scan of {Project}/{Repository}@{Digest} failed: {Problem}", a.Project, a.Repository, a.Digest, failure?.Message);
            await HandleScanFailureAsync(a, pushed.Tag, "Error", $"trivy:{pushed.EventId}", publisher, cancellationToken);
            return;
        }

        await DecideAsync(a, report, pushed.Tag, $"trivy:{pushed.EventId}", "direct Trivy scan", publisher, cancellationToken);
    }

    public async Task EvaluateAsync(ArtifactRef a, string? tag, string causeId, string cause, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        if (!IsHarborConfigured(a))
        {
            return;
        }

        var report = await Harbor.GetVulnerabilityReportAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (report is null
            && (await Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken))?.ScanOverviews.FirstOrDefault()?.ScanStatus
                is "Pending" or "Running" or "Scheduled")
        {
            // A newer scan has started and replaced the report: judging "no report" now would decide on nothing. The newer
            // scan's own SCANNING_COMPLETED decides (or the scan-timeout sweep, if that webhook is lost).
            logger.LogInformation("Report of {Project}/{Repository}@{Digest} is being replaced by a newer scan; its result will decide", a.Project, a.Repository, a.Digest);
            return;
        }

        var scan = ReportReader.Read(Encoding.UTF8.GetBytes(report?.Json ?? "{}"));
        await DecideAsync(a, scan, tag, causeId, cause, publisher, cancellationToken);
    }

    public async Task HandleScanFailureAsync(ArtifactRef a, string? tag, string status, string causeId, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var (rules, _) = policies.Current.Policy.Resolve(a.Project, a.Repository);
        if (rules.OnScanFailure == ScanFailureAction.Hold)
        {
            var at = time.GetUtcNow();
            await decisions.RecordTransitionAsync(
                new ArtifactTransition($"{causeId}:{ArtifactStates.ScanFailed}", a, null, ArtifactStates.ScanFailed,
                    $"scan {status.ToLowerInvariant()}; onScanFailure: hold", "harbor", null, at), cancellationToken);
            logger.LogWarning("Scan of {Project}/{Repository}@{Digest} ended {ScanStatus}; held for a rescan (onScanFailure: hold)", a.Project, a.Repository, a.Digest, status);
            return;
        }

        // quarantine or allow: the policy judges the artifact as having no report.
        await DecideAsync(a, ReportReader.Read("{}"u8), tag, causeId, $"scan {status.ToLowerInvariant()}", publisher, cancellationToken);
    }

    /// <summary>A scan that timed out: use Harbor's result if it has one, otherwise start the scan again until
    /// <see cref="PolicyOptions.MaxScanAttempts"/>, then treat it as a failed scan (onScanFailure applies).</summary>
    public async Task CheckScanAsync(CheckScan check, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = check.Artifact;
        if (!IsHarborConfigured(a))
        {
            return;
        }

        var causeId = $"scan-check:{a}:{check.Attempts}";
        var artifact = await Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (artifact is null)
        {
            await decisions.RecordTransitionAsync(new ArtifactTransition($"{causeId}:gone", a, null, ArtifactStates.ScanFailed,
                "artifact no longer in Harbor", "scan-timeout sweep", null, time.GetUtcNow()), cancellationToken);
            return;
        }

        var status = artifact.ScanOverviews.FirstOrDefault()?.ScanStatus;
        switch (status)
        {
            case "Success":
                logger.LogInformation("Scan of {Digest} finished but its webhook never arrived; deciding now", a.Digest);
                await EvaluateAsync(a, artifact.Tags.FirstOrDefault(), causeId, "scan result found by the scan-timeout sweep", publisher, cancellationToken);
                return;
            case "Error" or "Stopped":
                await HandleScanFailureAsync(a, artifact.Tags.FirstOrDefault(), status, causeId, publisher, cancellationToken);
                return;
        }

        if (check.Attempts < scanOptions.Value.MaxScanAttempts)
        {
            // As for the first request: Harbor first, so a failed start is retried with the message, not counted as an attempt.
            if (await decisions.CanRequestScanAsync(a, causeId, cancellationToken))
            {
                var started = await Harbor.StartScanAsync(a.Project, a.Repository, a.Digest, cancellationToken);
                logger.LogWarning("Scan of {Project}/{Repository}@{Digest} timed out (attempt {Attempt}); asked Harbor again: {ScanStart}",
                    a.Project, a.Repository, a.Digest, check.Attempts, started);
                if (await decisions.MarkScanRequestedAsync(a, causeId, "scan-timeout sweep", time.GetUtcNow(), cancellationToken))
                {
                    Hosting.HarborBridgeMetrics.ScanRequests.WithLabels("retry").Inc();
                }
            }

            return;
        }

        logger.LogWarning("Scan of {Project}/{Repository}@{Digest} did not finish after {Attempts} attempts", a.Project, a.Repository, a.Digest, check.Attempts);
        await HandleScanFailureAsync(a, artifact.Tags.FirstOrDefault(), "Timeout", causeId, publisher, cancellationToken);
    }

    /// <summary>The status of a scan Harbor started at or after <paramref name="pushedAt"/> (both are Harbor's clock), or
    /// null when there is none.</summary>
    private static string? ScannedSince(HarborArtifact artifact, DateTimeOffset pushedAt) =>
        artifact.ScanOverviews.FirstOrDefault(o => o.StartTime >= pushedAt && o.ScanStatus is "Pending" or "Running" or "Scheduled" or "Success")?.ScanStatus;

    /// <summary>Judges the report against the policy in force, then stores and publishes the decision.</summary>
    private async Task DecideAsync(ArtifactRef a, ScanReport report, string? tag, string causeId, string cause, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        using var timer = Hosting.HarborBridgeMetrics.Stage("decide");
        var (policy, kev) = policies.Current;
        var decision = PolicyEvaluator.Evaluate(a, report, policy, kev, time.GetUtcNow());
        await RecordAndPublishAsync(ToRecord(decision, causeId, tag, cause), publisher, cancellationToken);
    }

    /// <summary>The decision as stored: its id is derived from the cause, so a redelivery finds it again.</summary>
    internal static DecisionRecord ToRecord(Decision decision, string causeId, string? tag, string cause) => new(
        DecisionId(causeId, decision.Artifact), decision.Artifact, tag, decision.Verdict.ToString(), decision.Enforced, decision.PolicyVersion,
        decision.ReportDigest, Reason(decision), cause, decision.EvaluatedAt, DecidingFindings(decision), DecisionRenderer.ToJson(decision));

    /// <summary>Stores the decision (or finds the one stored before under its id), publishes its verdict, and decides
    /// any image index the artifact belongs to once all its platforms are judged.</summary>
    private async Task RecordAndPublishAsync(DecisionRecord record, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var a = record.Artifact;
        var newState = (record.Verdict, record.Enforced) switch
        {
            (nameof(Verdict.Pass), _) => ArtifactStates.Approved,
            (nameof(Verdict.Block), true) => ArtifactStates.Quarantined,
            _ => ArtifactStates.Warned,
        };
        var (stored, inserted) = await decisions.RecordDecisionAsync(record, newState, cancellationToken);
        if (inserted)
        {
            Hosting.HarborBridgeMetrics.Decisions.WithLabels(stored.Verdict.ToLowerInvariant(), stored.Enforced ? "true" : "false").Inc();
        }

        logger.LogInformation("{Verdict} {Project}/{Repository}@{Digest} ({Reason}){Redelivery}", stored.Verdict, a.Project, a.Repository, a.Digest,
            stored.Reason, inserted ? "" : " [already decided; republished]");
        var message = ToEvent(stored);
        await publisher.Publish(message, message.GetType(), cancellationToken);
        foreach (var index in await decisions.GetParentsAsync(a, cancellationToken))
        {
            await DecideIndexIfCompleteAsync(index, null, publisher, cancellationToken);
        }
    }

    /// <summary>Decides an image index once every platform manifest has a decision (worst verdict wins).</summary>
    private async Task DecideIndexIfCompleteAsync(ArtifactRef index, string? tag, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var latest = new List<DecisionRecord>();
        foreach (var child in await decisions.GetChildrenAsync(index, cancellationToken))
        {
            var decided = (await decisions.GetDecisionsAsync(child, cancellationToken))
                .Where(d => d.Artifact.Project == index.Project && d.Artifact.Repository == index.Repository)
                .MaxBy(d => d.DecidedAt);
            if (decided is null)
            {
                return; // not all platforms are judged yet
            }

            latest.Add(decided);
        }

        if (latest.Count > 0)
        {
            await RecordAndPublishAsync(IndexDecisions.Aggregate(index, tag, latest, time.GetUtcNow()), publisher, cancellationToken);
        }
    }

    internal static object ToEvent(DecisionRecord d) => d.Verdict switch
    {
        nameof(Verdict.Pass) => new ArtifactApproved(d.DecisionId, d.Artifact, d.Tag, d.PolicyVersion, d.ReportDigest, d.DecidedAt,
            AppliedExceptions.FromDecisionJson(d.DecisionJson)),
        nameof(Verdict.Warn) => new ArtifactWarned(d.DecisionId, d.Artifact, d.Tag, d.PolicyVersion, d.ReportDigest, d.Findings, d.DecidedAt,
            AppliedExceptions.FromDecisionJson(d.DecisionJson)),
        _ => new ArtifactBlocked(d.DecisionId, d.Artifact, d.Tag, d.PolicyVersion, d.ReportDigest, d.Reason, d.Findings, d.Enforced, d.DecidedAt),
    };

    internal static string Reason(Decision decision)
    {
        if (decision.ReportRule is { } reportRule)
        {
            return reportRule;
        }

        var blocking = decision.Blocking.ToList();
        var warnings = decision.Warnings.ToList();
        return decision.Verdict switch
        {
            Verdict.Block => $"{blocking.Count} finding(s) at or above the block threshold ({decision.RuleSource}): {blocking[0].Rule}",
            Verdict.Warn => $"{warnings.Count} finding(s) at or above the warn threshold ({decision.RuleSource}): {warnings[0].Rule}",
            _ => $"no finding at or above a threshold ({decision.RuleSource})",
        } + (decision.Enforced ? "" : "; dry run: not enforced");
    }

    internal static List<DecidingFinding> DecidingFindings(Decision decision) =>
        decision.Findings.Where(f => f.Outcome is FindingOutcome.Block or FindingOutcome.Warn)
            .Select(f => new DecidingFinding(f.Finding.Id, f.Finding.PackageName, f.Finding.InstalledVersion,
                f.Finding.FixedVersions.Count == 0 ? null : string.Join(", ", f.Finding.FixedVersions),
                f.Finding.Severity.ToString().ToUpperInvariant(), f.Finding.PrimaryUrl, f.Outcome.ToString()))
            .ToList();

    /// <summary>One decision per cause and artifact, so a redelivery finds the decision it already made.</summary>
    internal static string DecisionId(string causeId, ArtifactRef a) =>
        "dec-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{causeId}|{a}")))[..32];

    private bool IsHarborConfigured(ArtifactRef a)
    {
        if (harborOptions.Value.IsConfigured)
        {
            return true;
        }

        logger.LogWarning("Harbor is not configured (HarborBridge:Harbor:Url); {Project}/{Repository}@{Digest} is recorded but not scanned", a.Project, a.Repository, a.Digest);
        return false;
    }
}
