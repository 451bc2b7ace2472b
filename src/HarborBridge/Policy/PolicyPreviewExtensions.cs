using HarborBridge.Persistence;

namespace HarborBridge.Policy;

internal static class PolicyPreviewExtensions
{
    /// <summary>The policy impact preview, its store and the reload guard that uses it.</summary>
    public static IServiceCollection AddPolicyPreview(this IServiceCollection services)
    {
        services.AddSingleton<SqlPolicyPreviewStore>();
        services.AddSingleton<PolicyPreviewService>();
        services.AddSingleton<PolicyReloadGuard>();
        services.AddSingleton<IPolicyReloadGuard>(sp => sp.GetRequiredService<PolicyReloadGuard>());
        return services;
    }
}
