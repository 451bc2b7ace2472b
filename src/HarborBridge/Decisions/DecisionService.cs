using System.Security.Cryptography;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using HarborBridge.Policy;
using MassTransit;

namespace HarborBridge.Decisions;

/// <summary>
/// The one decision path: fetches the evidence (Harbor's report, or a new Trivy run in direct Trivy mode), evaluates the
/// policy in force, and records the decision through the artifact life cycle. Used by the scan path, rescans,
/// re-evaluation and the fix-by deadline, so that each judges with the same evidence source and the same rules.
/// </summary>
internal sealed class DecisionService(
    IDecisionStore decisions,
    IScanEvidence evidence,
    IUpstreamEvidence upstream,
    PolicyProvider policies,
    IGrantedExceptions granted,
    Hosting.PipelineMetrics metrics,
    TimeProvider time,
    ILogger<DecisionService> logger)
{
    /// <summary>The current report of the artifact from the evidence source it is decided with; null when it has none
    /// (no report in Harbor, or the scanner failed).</summary>
    public Task<EvidenceResult> FetchAsync(ArtifactRef artifact, CancellationToken cancellationToken) => evidence.FetchAsync(artifact, cancellationToken);

    /// <summary>Judges the report, and the signatures and attestations already attached to the artifact when the scope's
    /// <c>require</c> block asks for some: they are verified here, before any verdict, so HarborBridge never co-signs first
    /// and checks later.</summary>
    public async Task<Decision> EvaluateAsync(ArtifactRef artifact, ScanReport report, CancellationToken cancellationToken)
    {
        var (policy, inputs) = await SnapshotAsync(cancellationToken);
        var require = policy.Resolve(artifact.Project, artifact.Repository).Rules.Require;
        var attached = require.IsEmpty ? null : await upstream.CollectAsync(artifact, require, cancellationToken);
        using var timer = metrics.Stage("decide");
        return PolicyEvaluator.Evaluate(artifact, report, policy, time.GetUtcNow(), inputs, attached);
    }

    /// <summary>The policy in force with its inputs: the file's, its version covering the VEX documents' contents, with the
    /// exceptions approved from requests after the file's own exceptions (what <c>policy check --granted-from</c> and the preview judge with as well).</summary>
    public async Task<(PolicyDocument Policy, PolicyInputs Inputs)> SnapshotAsync(CancellationToken cancellationToken)
    {
        var (policy, inputs) = policies.Snapshot;
        return (policy.WithVexContents(inputs.Vex).WithGrantedExceptions(await granted.InForceAsync(time.GetUtcNow(), cancellationToken)), inputs);
    }

    /// <summary>Records <paramref name="decision"/> as the outcome of <paramref name="cause"/>. The decision id derives from
    /// <paramref name="causeId"/>, so a redelivery finds the decision it made before.</summary>
    public async Task<LifecycleResult> RecordAsync(Decision decision, LifecycleCause cause, string causeId, string? tag, string causeText,
        CancellationToken cancellationToken, Func<DecisionRecord, DecisionRecord>? adjust = null, bool skipIfUnchanged = false)
    {
        var record = ToRecord(decision, causeId, tag, causeText);
        record = adjust?.Invoke(record) ?? record;
        var result = await decisions.ApplyAsync(new LifecycleChange(record.Artifact, cause, $"{record.DecisionId}:{cause.Kind}", record.Reason, "policy",
            record.DecidedAt, record, decision.ReportCreatedAt, skipIfUnchanged), cancellationToken);
        if (result.Recorded && result.Decision is { } stored)
        {
            metrics.DecisionRecorded(stored.Verdict, stored.Enforced);
        }

        var a = record.Artifact;
        if (!result.Refused)
        {
            logger.LogInformation("{Verdict} {Project}/{Repository}@{Digest} ({Reason}): {From} -> {To}{Redelivery}", record.Verdict, a.Project, a.Repository,
                a.Digest, record.Reason, result.From, result.Step.To, result.Recorded || result.Decision is null ? "" : " [already decided]");
        }

        return result;
    }

    /// <summary>Publishes the verdict event of a stored decision (ArtifactApproved, ArtifactWarned or ArtifactBlocked), with
    /// <paramref name="report"/> when it is the report the decision was made from (the signer attests it).
    /// <paramref name="decided"/>, when given, is the decision <paramref name="record"/> was just stored from: its exceptions
    /// are taken from it instead of parsing the stored document again.</summary>
    public static Task PublishAsync(DecisionRecord record, IPublishEndpoint publisher, CancellationToken cancellationToken, DecidedReport? report = null,
        Decision? decided = null)
    {
        var message = ToEvent(record, report, decided is null ? null : AppliedExceptions.FromDecision(decided));
        return publisher.Publish(message, message.GetType(), cancellationToken);
    }

    /// <summary>Asks for the release of a quarantined artifact that the life cycle found entitled to leave.</summary>
    public Task RequestReleaseAsync(ArtifactRef a, string requestId, Decision decision, string cause, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        logger.LogInformation("Quarantined {Project}/{Repository}@{Digest} passes the policy now; asking for its release", a.Project, a.Repository, a.Digest);
        return publisher.Publish(new ReleaseArtifact($"release:{requestId}", a, cause, $"passes the policy in force ({Reason(decision)})", cause,
            time.GetUtcNow()), cancellationToken);
    }

    /// <summary>The decision as stored: its id is derived from the cause, so a redelivery finds it again.</summary>
    internal static DecisionRecord ToRecord(Decision decision, string causeId, string? tag, string cause) => new(
        DecisionId(causeId, decision.Artifact), decision.Artifact, tag, decision.Verdict.ToString(), decision.Enforced, decision.PolicyVersion,
        decision.ReportDigest, Reason(decision), cause, decision.EvaluatedAt, DecidingFindings(decision), DecisionRenderer.ToJson(decision));

    internal static object ToEvent(DecisionRecord d, DecidedReport? report = null, IReadOnlyList<AppliedException>? exceptions = null) => d.Verdict switch
    {
        nameof(Verdict.Pass) => new ArtifactApproved(d.DecisionId, d.Artifact, d.Tag, d.PolicyVersion, d.ReportDigest, d.DecidedAt,
            exceptions ?? AppliedExceptions.FromDecisionJson(d.DecisionJson), Report: Matching(report, d)),
        nameof(Verdict.Warn) => new ArtifactWarned(d.DecisionId, d.Artifact, d.Tag, d.PolicyVersion, d.ReportDigest, d.Findings, d.DecidedAt,
            exceptions ?? AppliedExceptions.FromDecisionJson(d.DecisionJson), Matching(report, d)),
        _ => new ArtifactBlocked(d.DecisionId, d.Artifact, d.Tag, d.PolicyVersion, d.ReportDigest, d.Reason, d.Findings, d.Enforced, d.DecidedAt),
    };

    // A redelivery may publish a decision stored before from a newer report: only the report it was made from goes along.
    private static DecidedReport? Matching(DecidedReport? report, DecisionRecord d) =>
        report is not null && Core.Signing.ScanEvidence.DigestOf(report.Json) == d.ReportDigest ? report : null;

    internal static string Reason(Decision decision)
    {
        if (decision.ReportRule is { } reportRule)
        {
            return reportRule;
        }

        var blocking = decision.Blocking.ToList();
        var warnings = decision.Warnings.ToList();
        var unmet = decision.UnmetRequirements.ToList();
        var deciding = unmet.Where(r => (r.Action == RequirementAction.Block ? Verdict.Block : Verdict.Warn) == decision.Verdict).ToList();
        if (deciding.Count > 0)
        {
            return $"{deciding.Count} required signature(s)/attestation(s) not met ({decision.RuleSource}): {deciding[0].Explain()}"
                   + (decision.Enforced ? "" : "; dry run: not enforced");
        }

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
}
