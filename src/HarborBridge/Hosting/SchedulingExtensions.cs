using HarborBridge.Jobs;
using HarborBridge.Policy;
using Quartz;

namespace HarborBridge.Hosting;

internal static class SchedulingExtensions
{
    /// <summary>Quartz.NET with an in-memory store, in processes with the scheduler role. Jobs only publish messages.
    /// Misfires use Quartz's smart policy for repeating simple triggers: runs missed while the process was down are
    /// not replayed; the next run comes at the next interval.</summary>
    public static IServiceCollection AddScheduling(this IServiceCollection services, IConfiguration configuration, ServerRoles roles)
    {
        if (!roles.HasFlag(ServerRoles.Scheduler))
        {
            return services;
        }

        var sweep = configuration.GetSection(PolicyOptions.SectionName).Get<PolicyOptions>()?.SweepInterval ?? new PolicyOptions().SweepInterval;
        services.AddQuartz(q =>
        {
            var key = new JobKey("scan-timeout-sweep");
            q.AddJob<ScanTimeoutSweepJob>(j => j.WithIdentity(key));
            q.AddTrigger(t => t.ForJob(key).WithIdentity("scan-timeout-sweep")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(sweep).RepeatForever()));
            Notifications.NotificationExtensions.AddNotificationDigest(q, configuration);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
