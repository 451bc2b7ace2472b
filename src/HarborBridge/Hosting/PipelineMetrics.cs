using Prometheus;
using HarborBridge.Core.Artifacts;

namespace HarborBridge.Hosting;

/// <summary>
/// The pipeline's metrics, injected where they are counted (one singleton per process; the Prometheus collectors behind it
/// are <see cref="HarborBridgeMetrics"/>'s). Label values are small fixed sets, never digests or names.
/// </summary>
internal sealed class PipelineMetrics
{
    /// <summary>A scan HarborBridge asked for: <c>harbor</c>, <c>harbor_auto_scan</c>, <c>trivy</c> or <c>retry</c>.</summary>
    public void ScanRequested(string mode) => HarborBridgeMetrics.ScanRequests.WithLabels(mode).Inc();

    /// <summary>A decision stored (not on a redelivery).</summary>
    public void DecisionRecorded(string verdict, bool enforced) => HarborBridgeMetrics.DecisionRecorded(verdict, enforced);

    /// <summary>A state change the life cycle refused, by the state met and the kind of cause.</summary>
    public void TransitionRefused(ArtifactState from, string cause) => HarborBridgeMetrics.TransitionsRefused.WithLabels(from.ToString(), cause).Inc();

    /// <summary>One signature written (or found already there) and read back verified.</summary>
    public void SignatureVerified(bool added) => HarborBridgeMetrics.SignatureVerified(added);

    /// <summary>One artifact quarantined (not on a redelivery that changed nothing).</summary>
    public void ArtifactQuarantined(string trigger) => HarborBridgeMetrics.ArtifactQuarantined(trigger);

    /// <summary>One artifact released.</summary>
    public void ArtifactReleased(string by) => HarborBridgeMetrics.ArtifactReleased(by);

    /// <summary>A webhook not queued: <c>rejected</c> (with why: auth, content_type, too_large, malformed), <c>ignored</c>
    /// (loop, unknown_type), <c>duplicate</c> or <c>unavailable</c> (broker).</summary>
    public void Webhook(string outcome, string reason) => HarborBridgeMetrics.Webhook(outcome, reason);

    /// <summary>A webhook accepted and published, by Harbor event type.</summary>
    public void WebhookQueued(Core.Webhooks.HarborEventType type) => HarborBridgeMetrics.WebhookQueued(type);

    /// <summary>Times the publish of one accepted webhook's messages (broker confirm included).</summary>
    public IDisposable WebhookPublishTimer() => HarborBridgeMetrics.WebhookPublishSeconds.NewTimer();

    /// <summary>Times a stage: <c>using (metrics.Stage("sign")) { … }</c>.</summary>
    public IDisposable Stage(string stage) => HarborBridgeMetrics.Stage(stage);
}
