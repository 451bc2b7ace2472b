using HarborBridge.Hosting;
using HarborBridge.Core.Quarantine;
using HarborBridge.Core.Signing;
using HarborBridge.Persistence;
using HarborBridge.Quarantine;
using HarborBridge.Signing.Registry;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

using HarborBridge.Quarantine.Strategies;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;

namespace HarborBridge.Quarantine;

internal static class QuarantineExtensions
{
    /// <summary>Quarantine and release services for every role (the release API runs in webhook/API processes too).</summary>
    public static IServiceCollection AddQuarantine(this IServiceCollection services, bool harborConfigured)
    {
        services.TryAddSingleton<IQuarantineStore, SqlQuarantineStore>();
        services.TryAddSingleton<QuarantineProjects>();
        services.TryAddSingleton<QuarantineAlerts>();
        services.AddScoped<IQuarantineStrategy, PreventPullStrategy>();
        services.AddScoped<IQuarantineStrategy, UnsignStrategy>();
        services.AddScoped<IQuarantineStrategy, MoveStrategy>();
        services.AddScoped<IQuarantineStrategy, LabelStrategy>();
        services.TryAddScoped<QuarantineService>();
        services.TryAddScoped<ReleaseService>();
        if (harborConfigured)
        {
            services.AddHostedService<PolicyAllowlistRefresher>();
        }
        return services;
    }

    /// <summary>The consumers, in a worker: <c>ArtifactBlocked</c> → quarantine, <c>ReleaseArtifact</c> → release.</summary>
    public static void AddQuarantineConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<QuarantineArtifactConsumer>();
        x.AddConsumer<ReleaseArtifactConsumer>();
    }
}
