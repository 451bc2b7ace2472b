using HarborBridge.Core.Harbor;
using HarborBridge.Harbor.Api;
using HarborBridge.Harbor.Http;
using HarborBridge.Harbor.Oci;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace HarborBridge.Harbor;

public static class HarborServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IHarborClient"/> and <see cref="IOciRegistryClient"/> with their options
    /// (section <c>HarborBridge:Harbor</c>), resilient factory-managed HTTP clients and registry token auth.
    /// Registry credentials default to the Harbor robot for Harbor's own host; register another
    /// <see cref="IRegistryCredentialProvider"/> first to change that.</summary>
    public static IServiceCollection AddHarborClients(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HarborOptions>().Bind(configuration.GetSection(HarborOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HarborOptions>, HarborOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRegistryCredentialProvider>(sp => HarborCredentials(sp.GetRequiredService<IOptions<HarborOptions>>().Value));

        services.AddHttpClient<IHarborClient, HarborClient>(HarborClient.HttpClientName)
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => PrimaryHandlers.Create(sp.GetRequiredService<IOptions<HarborOptions>>().Value))
            .AddStandardResilienceHandler()
            .Configure((o, sp) => HarborResilience.Configure(o, sp.GetRequiredService<IOptions<HarborOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        // The same client object: robots and permissions go through the same HTTP client, credentials and resilience.
        services.AddTransient<IHarborAccessClient>(sp => (HarborClient)sp.GetRequiredService<IHarborClient>());

        services.AddTransient<RegistryAuthHandler>();
        services.AddHttpClient<IOciRegistryClient, OciRegistryClient>(OciRegistryClient.HttpClientName)
            .ConfigureHttpClient((sp, c) =>
            {
                c.Timeout = Timeout.InfiniteTimeSpan;
                c.DefaultRequestHeaders.UserAgent.ParseAdd(sp.GetRequiredService<IOptions<HarborOptions>>().Value.RegistryUserAgent);
            })
            .ConfigurePrimaryHttpMessageHandler(sp => PrimaryHandlers.Create(sp.GetRequiredService<IOptions<HarborOptions>>().Value))
            .AddHttpMessageHandler<RegistryAuthHandler>()
            .AddStandardResilienceHandler()
            .Configure((o, sp) => HarborResilience.Configure(o, sp.GetRequiredService<IOptions<HarborOptions>>().Value, sp.GetRequiredService<TimeProvider>()));

        services.AddHttpClient(RegistryAuthHandler.TokenHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => PrimaryHandlers.Create(sp.GetRequiredService<IOptions<HarborOptions>>().Value))
            .AddStandardResilienceHandler()
            .Configure((o, sp) => HarborResilience.Configure(o, sp.GetRequiredService<IOptions<HarborOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    private static IRegistryCredentialProvider HarborCredentials(HarborOptions options)
    {
        var credentials = new Dictionary<string, RegistryCredential>(StringComparer.OrdinalIgnoreCase);
        if (options.IsConfigured && Uri.TryCreate(options.Url, UriKind.Absolute, out var url) && !string.IsNullOrEmpty(options.Username))
        {
            credentials[url.Authority] = new RegistryCredential(options.Username, options.Password ?? "");
        }

        return new StaticRegistryCredentialProvider(credentials);
    }
}
