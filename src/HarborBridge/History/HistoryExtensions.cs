namespace HarborBridge.History;

internal static class HistoryExtensions
{
    /// <summary>The artifact history: every Harbor event recorded once, with its effect on the artifact. With Harbor
    /// configured, a deletion is believed only when Harbor no longer has the artifact.</summary>
    public static IServiceCollection AddHistory(this IServiceCollection services, bool harborConfigured)
    {
        services.AddSingleton<ArtifactHistory>();
        return harborConfigured
            ? services.AddSingleton<IDeletionCheck, HarborDeletionCheck>()
            : services.AddSingleton<IDeletionCheck, UncheckedDeletion>();
    }
}
