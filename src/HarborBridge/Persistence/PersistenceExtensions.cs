using HarborBridge.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using HarborBridge.Core.Artifacts;
using HarborBridge.Persistence;

namespace HarborBridge.Persistence;

internal static class PersistenceExtensions
{
    public static IServiceCollection AddPersistence(this IServiceCollection services)
    {
        DateTimeOffsetHandler.Register();
        services.AddSection<DatabaseOptions>(DatabaseOptions.SectionName);
        services.AddSingleton<DbConnectionFactory>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<IArtifactStore, SqlArtifactStore>();
        services.AddSingleton<IDecisionStore, SqlDecisionStore>();
        services.TryAddSingleton<PipelineMetrics>();
        // Registered before MassTransit's hosted service, so the schema exists before the first message is consumed.
        services.AddHostedService<SchemaMigrationHostedService>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }
}
