using System.Collections.Concurrent;
using HarborBridge.Core.Webhooks;
using Prometheus;

namespace HarborBridge.Hosting;

/// <summary>Prometheus metrics on <c>/metrics</c>. Label values are small fixed sets (never digests or names).
/// deploy/grafana/harborbridge.json charts these names; rename one and the dashboard test fails.</summary>
internal static class HarborBridgeMetrics
{
    /// <summary>Webhooks by outcome: queued, duplicate, ignored, rejected, unavailable; and why.</summary>
    public static readonly Counter Webhooks = Metrics.CreateCounter(
        "harborbridge_webhooks_total", "Harbor webhooks received, by outcome and reason.",
        new CounterConfiguration { LabelNames = ["outcome", "reason"] });

    public static readonly Histogram WebhookPublishSeconds = Metrics.CreateHistogram(
        "harborbridge_webhook_publish_seconds", "Time from a parsed webhook to the broker's confirmation.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });

    public static readonly Counter Decisions = Metrics.CreateCounter(
        "harborbridge_decisions_total", "Policy decisions stored, by verdict and whether they are enforced.",
        new CounterConfiguration { LabelNames = ["verdict", "enforced"] });

    /// <summary>State changes the artifact life cycle refused (a scan failure after a verdict, an older report, a late
    /// event for a deleted artifact, ...), by the state met and the kind of cause.</summary>
    public static readonly Counter TransitionsRefused = Metrics.CreateCounter(
        "harborbridge_transitions_refused_total", "Artifact state changes refused by the life-cycle rules, by state met and cause.",
        new CounterConfiguration { LabelNames = ["from", "cause"] });

    public static readonly Counter ScanRequests = Metrics.CreateCounter(
        "harborbridge_scan_requests_total", "Scans HarborBridge asked for, by how: harbor, harbor_auto_scan, trivy, retry.",
        new CounterConfiguration { LabelNames = ["mode"] });

    /// <summary>Signatures written and verified, by outcome: <c>signed</c> (a new layer) or <c>already_signed</c>.</summary>
    public static readonly Counter Signatures = Metrics.CreateCounter(
        "harborbridge_signatures_total", "Signatures HarborBridge wrote and read back verified, by outcome.",
        new CounterConfiguration { LabelNames = ["outcome"] });

    /// <summary>Artifacts quarantined, by what triggered it (e.g. <c>policy</c>, <c>scan_failed</c>, <c>rescan</c>).</summary>
    public static readonly Counter Quarantines = Metrics.CreateCounter(
        "harborbridge_quarantines_total", "Artifacts quarantined, by trigger.",
        new CounterConfiguration { LabelNames = ["trigger"] });

    /// <summary>Artifacts released from quarantine, by who released them (<c>admin</c>, <c>exception</c>, <c>rescan</c>).</summary>
    public static readonly Counter Releases = Metrics.CreateCounter(
        "harborbridge_releases_total", "Artifacts released from quarantine, by who released them.",
        new CounterConfiguration { LabelNames = ["by"] });

    /// <summary>How long each pipeline stage took: <c>decide</c> (report fetch + policy + store), <c>sign</c>,
    /// <c>quarantine</c>, <c>release</c>.</summary>
    public static readonly Histogram StageSeconds = Metrics.CreateHistogram(
        "harborbridge_stage_duration_seconds", "Duration of one pipeline stage for one artifact.",
        new HistogramConfiguration { LabelNames = ["stage"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });

    /// <summary>Known artifacts per life-cycle state, read from the database at each scrape. <c>Received</c> and
    /// <c>Scanning</c> are the pipeline's backlog (waiting for a scan or its result).</summary>
    public static readonly Gauge Artifacts = Metrics.CreateGauge(
        "harborbridge_artifacts", "Artifacts HarborBridge knows, by state (read at scrape time).",
        new GaugeConfiguration { LabelNames = ["state"] });

    /// <summary>Messages being consumed right now in this process, by message type: the work queued inside the
    /// consumers (with prefetch, up to PrefetchCount per endpoint).</summary>
    public static readonly Gauge MessagesInFlight = Metrics.CreateGauge(
        "harborbridge_messages_in_flight", "Messages being consumed right now in this process, by message type.",
        new GaugeConfiguration { LabelNames = ["message"] });

    // Label children bound once per label set: WithLabels builds a label sequence and looks it up on every call, which the
    // per-webhook and per-artifact paths need not pay (issue 22). The label sets are small and fixed, so these stay small.
    private static readonly ConcurrentDictionary<(string Outcome, string Reason), Counter.Child> WebhookChildren = new();
    private static readonly ConcurrentDictionary<HarborEventType, Counter.Child> QueuedChildren = new();
    private static readonly ConcurrentDictionary<(string Verdict, bool Enforced), Counter.Child> DecisionChildren = new();
    private static readonly ConcurrentDictionary<string, Histogram.Child> StageChildren = new(StringComparer.Ordinal);
    private static readonly Lazy<Counter.Child> Signed = new(() => Signatures.WithLabels("signed"));
    private static readonly Lazy<Counter.Child> AlreadySigned = new(() => Signatures.WithLabels("already_signed"));

    /// <summary>Counts one webhook by outcome and reason (<see cref="Webhooks"/>).</summary>
    public static void Webhook(string outcome, string reason) =>
        WebhookChildren.GetOrAdd((outcome, reason), static k => Webhooks.WithLabels(k.Outcome, k.Reason)).Inc();

    /// <summary>Counts one webhook queued, its event type (lower case) as the reason.</summary>
    public static void WebhookQueued(HarborEventType type) =>
        QueuedChildren.GetOrAdd(type, static t => Webhooks.WithLabels("queued", t.ToHarborName().ToLowerInvariant())).Inc();

    /// <summary>Counts one decision stored, by verdict (lower case) and whether it is enforced.</summary>
    public static void DecisionRecorded(string verdict, bool enforced) =>
        DecisionChildren.GetOrAdd((verdict, enforced), static k => Decisions.WithLabels(k.Verdict.ToLowerInvariant(), k.Enforced ? "true" : "false")).Inc();

    /// <summary>Counts one signature that was written (or found already there) and read back verified.</summary>
    public static void SignatureVerified(bool added) => (added ? Signed : AlreadySigned).Value.Inc();

    /// <summary>For the quarantine consumers: one artifact quarantined (not on a redelivery that changed nothing).</summary>
    public static void ArtifactQuarantined(string trigger) => Quarantines.WithLabels(trigger).Inc();

    /// <summary>For the release API/consumer: one artifact released (not on a redelivery that changed nothing).</summary>
    public static void ArtifactReleased(string by) => Releases.WithLabels(by).Inc();

    /// <summary>Times a stage: <c>using (HarborBridgeMetrics.Stage("sign")) { … }</c>.</summary>
    public static IDisposable Stage(string stage) => StageChildren.GetOrAdd(stage, static s => StageSeconds.WithLabels(s)).NewTimer();
}
