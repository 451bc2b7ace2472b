namespace HarborBridge.History;

internal static class HistoryExtensions
{
    /// <summary>The artifact history: every Harbor event recorded once, with its effect on the artifact.</summary>
    public static IServiceCollection AddHistory(this IServiceCollection services) => services.AddSingleton<ArtifactHistory>();
}
