namespace HarborBridge.Core.Webhooks;

/// <summary>The webhook event types Harbor can send (src/pkg/notification/notification.go).</summary>
public enum HarborEventType
{
    Unknown = 0,
    PushArtifact,
    PullArtifact,
    DeleteArtifact,
    ScanningCompleted,
    ScanningFailed,
    ScanningStopped,
    QuotaExceed,
    QuotaWarning,
    Replication,
    TagRetention,
}

public enum WebhookPayloadFormat
{
    Default,
    CloudEvents,
}

public static class HarborEventTypes
{
    private static readonly Dictionary<string, HarborEventType> ByDefaultName = new(StringComparer.Ordinal)
    {
        ["PUSH_ARTIFACT"] = HarborEventType.PushArtifact,
        ["PULL_ARTIFACT"] = HarborEventType.PullArtifact,
        ["DELETE_ARTIFACT"] = HarborEventType.DeleteArtifact,
        ["SCANNING_COMPLETED"] = HarborEventType.ScanningCompleted,
        ["SCANNING_FAILED"] = HarborEventType.ScanningFailed,
        ["SCANNING_STOPPED"] = HarborEventType.ScanningStopped,
        ["QUOTA_EXCEED"] = HarborEventType.QuotaExceed,
        ["QUOTA_WARNING"] = HarborEventType.QuotaWarning,
        ["REPLICATION"] = HarborEventType.Replication,
        ["TAG_RETENTION"] = HarborEventType.TagRetention,
    };

    private static readonly Dictionary<string, HarborEventType> ByCloudEventsType = new(StringComparer.Ordinal)
    {
        ["harbor.artifact.pushed"] = HarborEventType.PushArtifact,
        ["harbor.artifact.pulled"] = HarborEventType.PullArtifact,
        ["harbor.artifact.deleted"] = HarborEventType.DeleteArtifact,
        ["harbor.scan.completed"] = HarborEventType.ScanningCompleted,
        ["harbor.scan.failed"] = HarborEventType.ScanningFailed,
        ["harbor.scan.stopped"] = HarborEventType.ScanningStopped,
        ["harbor.quota.exceeded"] = HarborEventType.QuotaExceed,
        ["harbor.quota.warned"] = HarborEventType.QuotaWarning,
        ["harbor.replication.status.changed"] = HarborEventType.Replication,
        ["harbor.tag_retention.finished"] = HarborEventType.TagRetention,
    };

    public static HarborEventType FromDefault(string name) =>
        ByDefaultName.GetValueOrDefault(name, HarborEventType.Unknown);

    public static HarborEventType FromCloudEvents(string type) =>
        ByCloudEventsType.GetValueOrDefault(type, HarborEventType.Unknown);

    /// <summary>Harbor's own upper-case name, used in logs and stored history.</summary>
    public static string ToHarborName(this HarborEventType type) =>
        ByDefaultName.FirstOrDefault(p => p.Value == type).Key ?? "UNKNOWN";

    public static bool IsArtifactEvent(this HarborEventType type) => type is
        HarborEventType.PushArtifact or HarborEventType.PullArtifact or HarborEventType.DeleteArtifact or
        HarborEventType.ScanningCompleted or HarborEventType.ScanningFailed or HarborEventType.ScanningStopped;
}
