using Prometheus;

namespace HarborBridge.Hosting;

/// <summary>Prometheus metrics on <c>/metrics</c>. Label values are small fixed sets (never digests or names).</summary>
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

    public static readonly Counter ScanRequests = Metrics.CreateCounter(
        "harborbridge_scan_requests_total", "Scans HarborBridge asked for, by how: harbor, harbor_auto_scan, trivy, retry.",
        new CounterConfiguration { LabelNames = ["mode"] });
}
