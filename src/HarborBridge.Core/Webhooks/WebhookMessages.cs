using HarborBridge.Contracts;

namespace HarborBridge.Core.Webhooks;

/// <summary>Turns a parsed webhook into the typed contracts the pipeline consumes: one message per
/// artifact resource, each with an event id derived from the webhook's, so a retried webhook produces
/// messages with the same ids.</summary>
public static class WebhookMessages
{
    public static IReadOnlyList<object> From(HarborWebhookEvent webhook)
    {
        if (webhook.Type.IsArtifactEvent())
        {
            var repository = webhook.Repository!;
            return webhook.Resources.Select(r => ForResource(webhook, repository, r)).ToList();
        }

        var digests = webhook.Resources.Count == 0 ? [null] : webhook.Resources.Select(r => (string?)r.Digest).ToList();
        return digests.Select(digest => (object)new RegistryEventReceived(
            digest is null ? webhook.EventId : $"{webhook.EventId}/{digest}",
            webhook.Type.ToHarborName(), webhook.Repository?.Project, webhook.Repository?.Name, digest,
            webhook.Operator, webhook.OccurredAt, webhook.Details)).ToList();
    }

    private static object ForResource(HarborWebhookEvent webhook, WebhookRepository repository, WebhookResource resource)
    {
        var id = $"{webhook.EventId}/{resource.Digest}";
        var artifact = new ArtifactRef(repository.Project, repository.Name, resource.Digest);
        if (IsSbom(webhook))
        {
            // SBOM generation (scan_type "sbom", Harbor 2.11+): part of the artifact's history, but no vulnerability scan,
            // so nothing to decide and no scan failure to act on.
            return new RegistryEventReceived(id, webhook.Type.ToHarborName(), repository.Project, repository.Name, resource.Digest,
                webhook.Operator, webhook.OccurredAt, $"SBOM generation ({(webhook.Type == HarborEventType.ScanningCompleted ? "completed" : "did not complete")}); no verdict");
        }

        return webhook.Type switch
        {
            HarborEventType.PushArtifact => new ArtifactPushed(id, artifact, resource.Tag, webhook.Operator, webhook.OccurredAt),
            HarborEventType.PullArtifact => new ArtifactPulled(id, artifact, resource.Tag, webhook.Operator, webhook.OccurredAt),
            HarborEventType.DeleteArtifact => new ArtifactDeleted(id, artifact, resource.Tag, webhook.Operator, webhook.OccurredAt),
            HarborEventType.ScanningCompleted => new ScanCompleted(id, artifact, resource.Tag, webhook.Operator, webhook.OccurredAt, ToSummary(resource.Scan)),
            HarborEventType.ScanningFailed => new ScanFailed(id, artifact, resource.Tag, resource.Scan?.ScanStatus ?? "Error", webhook.Operator, webhook.OccurredAt),
            HarborEventType.ScanningStopped => new ScanFailed(id, artifact, resource.Tag, resource.Scan?.ScanStatus ?? "Stopped", webhook.Operator, webhook.OccurredAt),
            _ => throw new ArgumentOutOfRangeException(nameof(webhook), webhook.Type, "not an artifact event"),
        };
    }

    private static bool IsSbom(HarborWebhookEvent webhook) =>
        webhook.Type is HarborEventType.ScanningCompleted or HarborEventType.ScanningFailed or HarborEventType.ScanningStopped
        && string.Equals(webhook.ScanType, "sbom", StringComparison.OrdinalIgnoreCase);

    private static ScanSummary? ToSummary(ScanOverview? overview) => overview is null
        ? null
        : new ScanSummary(overview.MimeType, overview.ReportId, overview.ScanStatus, overview.Severity, overview.Total,
            overview.Fixable, overview.CountsBySeverity, overview.ScannerName is null ? null : $"{overview.ScannerName} {overview.ScannerVersion}".Trim());
}
