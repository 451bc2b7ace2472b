using MassTransit;
using Microsoft.Extensions.Options;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;
using HarborBridge.Scheduling;

namespace HarborBridge.Hosting;

internal static class MessagingExtensions
{
    /// <summary>MassTransit over RabbitMQ or in-memory; consumers only in processes with the worker role.</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration, ServerRoles roles)
    {
        var transport = configuration.GetSection(HarborBridgeOptions.SectionName).Get<HarborBridgeOptions>()?.Transport ?? TransportKind.InMemory;
        services.AddSection<RabbitMqOptions>(RabbitMqOptions.SectionName);
        services.AddSingleton<IValidateOptions<RabbitMqOptions>, RabbitMqOptionsValidator>();
        services.AddMessagingTuning();
        // Start without waiting for the broker: readiness reports it, and the webhook answers 503 until it is back.
        services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = false);
        services.AddShutdownTiming();

        if (transport == TransportKind.RabbitMq)
        {
            services.AddHealthChecks().AddCheck<RabbitMqHealthCheck>("rabbitmq", tags: ["ready"]);
        }

        services.AddMassTransit(x =>
        {
            // No usage reports to usage-tracking.masstransit.io: a security checkpoint makes no third-party calls.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.ConfigureHealthCheckOptions(o =>
            {
                // A broker that cannot be reached makes the process not ready (503), not merely degraded.
                o.MinimalFailureStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy;
                o.Tags.Add("ready");
            });
            if (roles.HasFlag(ServerRoles.Worker))
            {
                x.AddConsumer<RecordArtifactPushedConsumer>();
                x.AddConsumer<RecordArtifactPulledConsumer>();
                x.AddConsumer<RecordArtifactDeletedConsumer>();
                x.AddConsumer<RecordScanCompletedConsumer>();
                x.AddConsumer<RecordScanFailedConsumer>();
                x.AddConsumer<RecordRegistryEventConsumer>();
                Notifications.NotificationExtensions.AddNotificationConsumers(x);
                x.AddConsumer<PoisonMessageAlertConsumer>();
                // Without Harbor (the embedded default on a laptop) HarborBridge records what it is sent and nothing more:
                // decided once here, not guarded in every consumer.
                if (HarborMode.IsConfigured(configuration))
                {
                    x.AddConsumer<RequestScanConsumer>();
                    x.AddConsumer<EvaluateScanConsumer>();
                    x.AddConsumer<ScanFailureConsumer>();
                    x.AddConsumer<CheckScanConsumer>();
                    x.AddArtifactSigning();
                    x.AddQuarantineConsumers();
                    x.AddScheduledWorkConsumers();
                }
            }

            x.AddConfigureEndpointsCallback((context, name, endpoint) =>
            {
                endpoint.ApplyConcurrency(name, context);
                endpoint.UseMessageRetry(r =>
                {
                    // A report or policy that cannot be read will not read better on retry: straight to <queue>_error.
                    r.Ignore<Core.Findings.ReportFormatException>();
                    r.Ignore<Core.Policy.PolicyFileException>();
                    r.Intervals(200, 1_000, 5_000, 15_000);
                });
                endpoint.UseConsumeFilter(typeof(StopGateFilter<>), context);
                endpoint.UseInMemoryOutbox(context);
            });

            if (transport == TransportKind.RabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                    cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                    {
                        h.Username(rabbit.Username);
                        h.Password(rabbit.Password);
                        h.PublisherConfirmation = true;
                        h.RequestedConnectionTimeout(TimeSpan.FromSeconds(5));
                        if (rabbit.UseTls)
                        {
                            h.UseSsl(ssl =>
                            {
                                ssl.ServerName = string.IsNullOrEmpty(rabbit.TlsServerName) ? rabbit.Host : rabbit.TlsServerName;
                                ssl.Protocol = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                                if (!string.IsNullOrEmpty(rabbit.CaFile))
                                {
                                    var roots = Harbor.Http.TlsValidation.LoadCaFile(rabbit.CaFile, $"{RabbitMqOptions.SectionName}:CaFile");
                                    ssl.CertificateValidationCallback = (_, certificate, chain, errors) =>
                                        Harbor.Http.TlsValidation.IsTrusted(certificate, chain, errors, roots);
                                }
                            });
                        }
                    });
                    cfg.PrefetchCount = rabbit.PrefetchCount;
                    if (rabbit.QuorumQueues)
                    {
                        cfg.SetQuorumQueue();
                    }

                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
        });
        if (roles.HasFlag(ServerRoles.Worker))
        {
            // Registered after the bus, so it stops (and sends what it still holds) before the bus does.
            services.AddHostedService<Notifications.OperatorAlertFlusher>();
        }

        return services;
    }
}
