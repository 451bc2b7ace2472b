using System.Globalization;
using HarborBridge.Api;
using HarborBridge.ArtifactSigning;
using HarborBridge.Dashboard;
using HarborBridge.Harbor;
using HarborBridge.History;
using HarborBridge.Persistence;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;
using HarborBridge.Webhooks;
using Microsoft.Extensions.Options;
using Prometheus;
using Serilog;

namespace HarborBridge.Hosting;

/// <summary>Composes and runs <c>harborbridge serve</c>.</summary>
internal static class HarborBridgeServer
{
    public static async Task<int> RunAsync(string[] args, ServerRoles roles, CancellationToken cancellationToken)
    {
        // Catches start-up failures before the configured logger exists; not the static logger, so that
        // several hosts in one test process do not fight over it.
        using var bootstrap = new LoggerConfiguration().WriteTo.Console(formatProvider: CultureInfo.InvariantCulture).CreateLogger();
        try
        {
            var app = Build(args, roles);
            using var stopped = new CancellationTokenSource();
            var stoppedToken = stopped.Token;
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopping.Register(() => _ = ExitIfStopHangsAsync(app, stoppedToken));
            try
            {
                await app.RunAsync();
            }
            finally
            {
                // Stopped (or failed to start) in time: the deadline must not fire later in this process.
                await stopped.CancelAsync();
            }

            return 0;
        }
        catch (Exception e) when (ValidationFailures(e) is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
            {
                bootstrap.Fatal("Invalid configuration: {Problem}", failure);
            }

            return 1;
        }
        catch (Exception e) when (ConfigurationErrors.Describe(e) is { } problem)
        {
            bootstrap.Fatal("Invalid configuration: {Problem}", problem);
            return 1;
        }
        catch (Exception e) when (e is not OperationCanceledException && !IsHostAbort(e))
        {
            bootstrap.Fatal(e, "HarborBridge stopped unexpectedly");
            return 1;
        }
    }

    /// <summary>The last resort. A stop cancels consumers, jobs and requests after <c>HarborBridge:Messaging:StopTimeout</c>
    /// (<see cref="ShutdownTiming"/>), so the process normally exits well before this; only something that ignores its
    /// cancellation token can hold it longer. Then the process exits anyway: on RabbitMQ the unacknowledged messages are
    /// delivered again; with the in-memory transport they were going to be lost on stop anyway.</summary>
    private static async Task ExitIfStopHangsAsync(WebApplication app, CancellationToken stopped)
    {
        var messaging = app.Services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var deadline = ShutdownTiming.ForcedExitAfter(messaging);
        try
        {
            await Task.Delay(deadline, stopped);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        app.Logger.LogWarning(
            "Shutdown did not finish within {Deadline} of the stop signal (HarborBridge:Messaging:StopTimeout {StopTimeout} + {Margin}): a consumer, job or " +
            "request ignored its cancellation. Exiting now; unacknowledged RabbitMQ messages will be delivered again",
            deadline, messaging.StopTimeout, ShutdownTiming.ForcedExitMargin);
        Environment.Exit(0);
    }

    /// <summary>Option validation failures, also when start-up validation bundles several into an AggregateException.</summary>
    private static List<string> ValidationFailures(Exception e) => e switch
    {
        OptionsValidationException v => [.. v.Failures.Distinct()],
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            [.. a.InnerExceptions.Cast<OptionsValidationException>().SelectMany(v => v.Failures).Distinct()],
        _ => [],
    };

    // WebApplicationFactory stops the entry point with this exception once it has the host; let it through.
    private static bool IsHostAbort(Exception e) => e.GetType().Name == "HostAbortedException";

    public static WebApplication Build(string[] args, ServerRoles roles)
    {
        // prometheus-net would otherwise copy every System.Diagnostics.Metrics instrument of every library (HTTP client,
        // Kestrel, resilience, MassTransit, Npgsql: ~140 meters) into /metrics, on each measurement: a measured 0.7 ms of
        // CPU per artifact (issue 22). /metrics exports HarborBridge's own series and the process/runtime ones.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        var builder = WebApplication.CreateBuilder(args);
        SecuritySettings.UseBaseDirectorySettings(builder);
        SecuritySettings.AddSecretFiles(builder.Configuration);
        builder.AddLogging();
        builder.Services.AddHarborBridge(builder.Configuration, roles);

        var app = builder.Build();
        HarborMode.LogAtStart(app.Services);
        StartupSummary.LogWhenStarted(app, roles);
        // One event per request: method, path (no query string), status, elapsed. Headers and bodies are never logged.
        app.UseSerilogRequestLogging(o => o.GetLevel = RequestLogLevels.For);
        app.Use(SecurityHeaders.AddAsync);
        app.MapHealth();
        app.MapProtectedMetrics();
        if (roles.HasFlag(ServerRoles.Webhook))
        {
            app.MapHarborWebhooks();
        }

        // A webhook-only process faces Harbor (often exposed more widely): it serves no admin API and no dashboard.
        if (roles != ServerRoles.Webhook)
        {
            app.MapArtifactsApi();
            app.MapDashboard();
            app.MapReleaseApi();
            app.MapPolicyApi();
            app.MapExceptionRequestsApi();
        }
        if (app.Services.GetRequiredService<IOptions<WebhookOptions>>().Value is { AllowUnauthenticated: true, AuthHeader: null or "" })
        {
            app.Logger.LogWarning("Webhook authentication is OFF (HarborBridge:Webhook:AllowUnauthenticated=true): anyone who can reach /webhooks/harbor can submit events");
        }

        foreach (var warning in SecuritySettings.Warnings(app.Configuration, app.Services))
        {
            app.Logger.LogWarning("Insecure setting: {Warning}", warning);
        }

        return app;
    }

    public static IServiceCollection AddHarborBridge(this IServiceCollection services, IConfiguration configuration, ServerRoles roles)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddMemoryCache();
        services.AddSection<HarborBridgeOptions>(HarborBridgeOptions.SectionName);
        services.AddSection<HarborOptions>(HarborOptions.SectionName);
        services.AddHarborClients(configuration);
        services.AddSection<AdminOptions>(AdminOptions.SectionName);
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddWebhooks();
        services.AddHistory(HarborMode.IsConfigured(configuration));
        services.AddSection<Policy.PolicyOptions>(Policy.PolicyOptions.SectionName);
        services.AddSingleton<Policy.PolicyProvider>();
        Policy.PolicyPreviewExtensions.AddPolicyPreview(services);
        services.AddHostedService<Policy.PolicyValidationHostedService>();
        services.AddScanning();
        services.AddPersistence();
        Exceptions.ExceptionRequestExtensions.AddExceptionRequests(services);
        Notifications.NotificationExtensions.AddNotifications(services, configuration);
        services.AddSigning();
        services.AddQuarantine(HarborMode.IsConfigured(configuration));
        services.AddMessaging(configuration, roles);
        services.AddScheduling(configuration, roles);
        services.AddSingleton<HarborSetupStatus>();
        services.AddHealthChecks().AddCheck<HarborHealthCheck>("harbor", tags: ["ready"]).AddCheck<Policy.PolicyHealthCheck>("policy", tags: ["ready"]);
        services.AddDashboard();
        services.AddSection<Dashboard.MetricsOptions>(Dashboard.MetricsOptions.SectionName);
        if (roles.HasFlag(ServerRoles.Scheduler))
        {
            services.AddHostedService<Dashboard.ArtifactGaugeRefresher>();
        }
        return services;
    }
}
