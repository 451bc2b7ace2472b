using HarborBridge.Hosting;
using HarborBridge.Core.Scheduling;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using HarborBridge.Scheduling;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;
using HarborBridge.ArtifactSigning;
using HarborBridge.History;
using HarborBridge.Notifications;
using HarborBridge.Quarantine;
using HarborBridge.Scanning;

namespace HarborBridge.Scheduling;

internal static class SchedulingExtensions
{
    /// <summary>
    /// The scheduled work: its services in every process (workers consume what the jobs publish), Quartz.NET in
    /// processes with the scheduler role. On SQLite (one process) Quartz keeps its schedule in memory; on PostgreSQL
    /// every instance joins one clustered ADO.NET job store, so each firing runs on exactly one instance.
    /// Misfires (a firing missed while every instance was down or busy): cron triggers fire once as soon as a node can,
    /// then follow their schedule (<see cref="CronTriggerMisfireInstruction.FireAndProceed"/>); missed firings are never
    /// replayed one by one. The scan-timeout sweep keeps the smart policy of its simple trigger (next interval).
    /// </summary>
    public static IServiceCollection AddScheduling(this IServiceCollection services, IConfiguration configuration, ServerRoles roles)
    {
        services.AddSection<SchedulesOptions>(SchedulesOptions.SectionName);
        services.AddSingleton<IValidateOptions<SchedulesOptions>, SchedulesOptionsValidator>();
        services.AddSingleton<IScheduleStore, SqlScheduleStore>();
        services.AddSingleton<RescanService>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<WebhookRepair>();
        services.AddSingleton<JobRunLog>();
        services.AddSingleton<VexChangeTracker>();
        if (!roles.HasFlag(ServerRoles.Scheduler))
        {
            return services;
        }

        var sweep = configuration.GetSection(PolicyOptions.SectionName).Get<PolicyOptions>()?.SweepInterval ?? new PolicyOptions().SweepInterval;
        var schedules = configuration.GetSection(SchedulesOptions.SectionName).Get<SchedulesOptions>() ?? new SchedulesOptions();
        var database = configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddQuartz(q =>
        {
            // On stop, running jobs see their cancellation token fire at once and are waited for while they unwind
            // (WaitForJobsToComplete below, bounded by the host's stop budget). Jobs only find work and publish it, so
            // an interrupted run is simply done again at its next firing.
            q.ConfigureScheduler(o => o.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs);
            // Quartz keeps one scheduler per name and process: a second host with the same name would be handed the first
            // one's scheduler (its jobs, its services). One name per cluster (ClusterName), one id per process.
            q.ConfigureScheduler(o => o.InstanceName = schedules.ClusterName);
            if (database.Provider == DatabaseProvider.Postgres)
            {
                q.ConfigureScheduler(o =>
                {
                    o.InstanceId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
                });
                q.UsePersistentStore(s =>
                {
                    // Tables come from migration 0007_quartz.sql, applied before the scheduler starts.
                    s.UsePostgres(database.ConnectionString);
                    s.UseClustering(c => c.CheckinInterval = schedules.ClusterCheckinInterval);
                });
            }

            var sweepKey = new JobKey("scan-timeout-sweep");
            q.AddJob<ScanTimeoutSweepJob>(j => j.WithIdentity(sweepKey).StoreDurably());
            q.AddTrigger(t => t.ForJob(sweepKey).WithIdentity("scan-timeout-sweep")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(sweep).RepeatForever()));
            Notifications.NotificationExtensions.AddNotificationDigest(q, configuration);
            AddCronJob<RescanJob>(q, "rescan", schedules.Rescan);
            AddCronJob<AtRiskDeadlineJob>(q, "at-risk-deadlines", schedules.AtRiskDeadlines);
            AddCronJob<ReconcileJob>(q, "reconcile", schedules.Reconcile);
            AddCronJob<ExceptionExpiryJob>(q, "exception-expiry", schedules.ExceptionExpiry);
            AddCronJob<VexChangeJob>(q, "vex-changes", schedules.VexChanges);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }

    /// <summary>The consumers of what the scheduled jobs publish (worker role).</summary>
    public static void AddScheduledWorkConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ReevaluateArtifactConsumer>();
        x.AddConsumer<EnforceAtRiskDeadlineConsumer>();
        x.AddConsumer<ReconcileHarborConsumer>();
    }

    private static void AddCronJob<TJob>(IQuartzBuilder q, string name, string cron)
        where TJob : IJob
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            return; // switched off
        }

        var key = new JobKey(name);
        q.AddJob<TJob>(j => j.WithIdentity(key).StoreDurably());
        q.AddTrigger(t => t.ForJob(key).WithIdentity(name)
            .WithCronSchedule(cron, c => c.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)));
    }
}
