namespace HarborBridge.UnitTests;

internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static IEnumerable<string> WebhookSamples() =>
        Directory.EnumerateFiles(PathOf("harbor", "webhooks"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>Path relative to the webhook fixture folder, e.g. <c>docs/push_artifact.default.json</c>.</summary>
    public static string WebhookName(string path) => Path.GetRelativePath(PathOf("harbor", "webhooks"), path).Replace('\\', '/');

    public static bool IsCloudEvents(string path) =>
        path.Contains("cloudevents", StringComparison.Ordinal) || path.EndsWith("wire-order.json", StringComparison.Ordinal);
}
