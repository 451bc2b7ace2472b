using HarborBridge.Core.Policy;
using HarborBridge.Persistence;

namespace HarborBridge.Exceptions;

internal static class ExceptionRequestExtensions
{
    /// <summary>The request store (also the source of granted exceptions for the decision path) and the service.</summary>
    public static IServiceCollection AddExceptionRequests(this IServiceCollection services)
    {
        services.AddSingleton<SqlExceptionRequestStore>();
        services.AddSingleton<IExceptionRequestStore>(sp => sp.GetRequiredService<SqlExceptionRequestStore>());
        services.AddSingleton<IGrantedExceptions>(sp => sp.GetRequiredService<SqlExceptionRequestStore>());
        services.AddSingleton<ExceptionRequestService>();
        return services;
    }
}
