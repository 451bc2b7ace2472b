using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Quarantine;
using HarborBridge.Scheduling;

namespace HarborBridge.Hosting;

/// <summary>One thing wrong with HarborBridge's Harbor set-up and how to fix it.</summary>
internal sealed record SetupProblem(string Problem, string Fix)
{
    public override string ToString() => $"{Problem}: {Fix}";
}

/// <summary>What the set-up should be: the projects, the webhook address (null: not checked) and the header per project.</summary>
internal sealed record SetupExpectation(IReadOnlyList<string> Projects, string? WebhookAddress, Func<string, string> HeaderFor, IReadOnlyList<HarborAccess> Permissions);

/// <summary>Verifies, as the configured robot and reading only, what <c>harborbridge harbor connect</c> sets up:
/// Harbor answers, the credentials are accepted, the robot holds each permission the policy's quarantine strategies
/// need on each project, and each project's webhook policy and scan-on-push are right. Used by
/// <c>harborbridge harbor check</c> and the <c>/readyz</c> detail.</summary>
internal static class HarborSetupCheck
{
    public const string RerunConnect = "rerun harborbridge harbor connect";

    /// <summary>The strategies any scope of <paramref name="policy"/> may use (defaults and project overrides).</summary>
    public static IReadOnlyList<HarborAccess> PermissionsFor(PolicyDocument policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var strategies = (policy.Defaults.Quarantine?.Strategies ?? QuarantineSettings.Default.Strategies)
            .Concat(policy.Projects.SelectMany(p => p.Settings.Quarantine?.Strategies ?? []));
        return RobotPermissions.For(strategies);
    }

    /// <summary>Every problem found, in order; empty when all is right. Stops early only when Harbor cannot be reached or
    /// refuses the credentials, since nothing else can be checked then.</summary>
    public static async Task<IReadOnlyList<SetupProblem>> RunAsync(
        IHarborClient harbor, IHarborAccessClient access, string harborUrl, SetupExpectation expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(harbor);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(expected);
        try
        {
            if (!await harbor.PingAsync(cancellationToken))
            {
                return [new($"Harbor at {harborUrl} did not answer ping with 200", "check HarborBridge:Harbor:Url")];
            }

            _ = await harbor.GetSystemCveAllowlistAsync(cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode is 401 or 403)
        {
            return [new($"Harbor at {harborUrl} refused the robot's credentials: {ConnectionFailures.Cause(e)}",
                $"check HarborBridge:Harbor:Username and Password, or {RerunConnect} to create the robot")];
        }
        catch (Exception e) when (e is HarborApiException or HttpRequestException)
        {
            var fix = ConnectionFailures.IsTlsFailure(e)
                ? "set HarborBridge:Harbor:CaFile to the PEM file of the CA that signed Harbor's certificate"
                : "check HarborBridge:Harbor:Url and that Harbor is reachable from here";
            return [new($"Harbor at {harborUrl} is unreachable: {ConnectionFailures.Cause(e)}", fix)];
        }

        return await CheckProjectsAsync(harbor, access, expected, cancellationToken);
    }

    /// <summary>The per-project part (permissions, webhook policy, scan-on-push), for callers that already know Harbor
    /// answers and accepts the credentials (<c>/readyz</c>).</summary>
    public static async Task<IReadOnlyList<SetupProblem>> CheckProjectsAsync(
        IHarborClient harbor, IHarborAccessClient access, SetupExpectation expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var problems = new List<SetupProblem>();
        foreach (var project in expected.Projects)
        {
            await CheckProjectAsync(harbor, access, project, expected, problems, cancellationToken);
        }

        return problems;
    }

    private static async Task CheckProjectAsync(
        IHarborClient harbor, IHarborAccessClient access, string project, SetupExpectation expected, List<SetupProblem> problems, CancellationToken cancellationToken)
    {
        HarborProject? found;
        try
        {
            found = await harbor.GetProjectAsync(project, cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode == 403)
        {
            problems.Add(Lacks(new HarborAccess("project", "read"), project));
            return;
        }

        if (found is null)
        {
            problems.Add(new($"project {project} does not exist in Harbor (or the robot cannot see it)",
                $"create it in Harbor or remove it from HarborBridge:Schedules:Reconciliation:Projects, then {RerunConnect}"));
            return;
        }

        var granted = (await access.GetCurrentPermissionsAsync(found.ProjectId, cancellationToken)).ToHashSet();
        problems.AddRange(expected.Permissions.Where(p => !granted.Contains(p)).Select(p => Lacks(p, project)));
        if (expected.WebhookAddress is not { } address)
        {
            return;
        }

        if (!granted.Contains(new HarborAccess("notification-policy", "list")) || !granted.Contains(new HarborAccess("metadata", "list")))
        {
            // Already named above; the webhook policy and auto_scan cannot be read without them.
            return;
        }

        var inspection = await WebhookRepair.InspectAsync(harbor, project, address, expected.HeaderFor(project), cancellationToken);
        var webhooks = $"{RerunConnect}, or fix it in Harbor (Projects > {project} > Webhooks)";
        problems.AddRange(inspection.PolicyProblems.Select(p => new SetupProblem($"project {project} {p}", webhooks)));
        if (!inspection.AutoScan)
        {
            problems.Add(new($"project {project} does not scan on push (auto_scan is off)",
                $"turn on 'Automatically scan images on push' in Harbor (Projects > {project} > Configuration) or {RerunConnect}"));
        }
    }

    private static SetupProblem Lacks(HarborAccess permission, string project) =>
        new($"robot lacks {permission} on project {project}", $"grant it in Harbor (Robot Accounts > Edit) or {RerunConnect}");
}

/// <summary>The set-up check for <c>/readyz</c>: the per-project part of <see cref="HarborSetupCheck"/> for the projects in
/// <c>Schedules:Reconciliation:Projects</c>, as the robot, at most once a minute (readiness probes come every few seconds).
/// Null when no projects are configured.</summary>
internal sealed class HarborSetupStatus(
    IServiceProvider services,
    Microsoft.Extensions.Options.IOptions<SchedulesOptions> schedules,
    Microsoft.Extensions.Options.IOptions<Webhooks.WebhookOptions> webhook,
    TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, IReadOnlyList<SetupProblem> Problems)? _last;

    public async Task<IReadOnlyList<SetupProblem>?> GetAsync(CancellationToken cancellationToken)
    {
        var reconciliation = schedules.Value.Reconciliation;
        if (reconciliation.Projects.Count == 0)
        {
            return null;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } last && time.GetUtcNow() - last.At < CacheFor)
            {
                return last.Problems;
            }

            var authenticator = services.GetRequiredService<Webhooks.WebhookAuthenticator>();
            // Without a header to give Harbor (unauthenticated webhooks allowed) there is no policy to compare against.
            var address = authenticator.PerProject || !string.IsNullOrEmpty(webhook.Value.AuthHeader) ? reconciliation.WebhookAddress : null;
            var expected = new SetupExpectation(reconciliation.Projects, address, authenticator.HeaderFor, Permissions());
            var problems = await HarborSetupCheck.CheckProjectsAsync(
                services.GetRequiredService<IHarborClient>(), services.GetRequiredService<IHarborAccessClient>(), expected, cancellationToken);
            _last = (time.GetUtcNow(), problems);
            return problems;
        }
        finally
        {
            _gate.Release();
        }
    }

    private IReadOnlyList<HarborAccess> Permissions()
    {
        try
        {
            return HarborSetupCheck.PermissionsFor(services.GetRequiredService<Policy.PolicyProvider>().Current.Policy);
        }
        catch (PolicyFileException)
        {
            // The policy check reports the file; judge the robot by the default strategies meanwhile.
            return RobotPermissions.For(QuarantineSettings.Default.Strategies);
        }
    }
}
