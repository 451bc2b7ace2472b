using System.Globalization;
using System.Text.RegularExpressions;
using HarborBridge.Core.Harbor;
using HarborBridge.Harbor;
using HarborBridge.Hosting;
using HarborBridge.Scheduling;

namespace HarborBridge.Cli;

/// <summary>The work of <c>harborbridge harbor connect</c>: everything is read first and written only where it differs,
/// so a second run writes nothing. The robot's secret is printed once, when the robot is created, to standard output
/// only; nothing here logs.</summary>
internal static partial class HarborConnect
{
    internal sealed record Request(string? Url, string Username, string? Password, IReadOnlyList<string> Projects, string RobotName, string? WebhookUrl);

    private const string RobotDescription = "HarborBridge (created by harborbridge harbor connect)";

    public static async Task<int> RunAsync(Request request, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (await ValidateAsync(request, configuration, error) is not { } valid)
        {
            return HarborCommand.ExitBadInput;
        }

        // The admin's credentials go to this process's Harbor clients only; the rest of the Harbor settings (CA file,
        // timeouts) are the service's.
        var admin = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{HarborOptions.SectionName}:Url"] = valid.Url.ToString(),
            [$"{HarborOptions.SectionName}:Username"] = request.Username,
            [$"{HarborOptions.SectionName}:Password"] = request.Password,
        }).Build();
        await using var services = HarborCommand.Services(admin);
        var (headerFor, headerError) = HarborCommand.WebhookHeaders(services);
        if (headerFor is null)
        {
            await error.WriteLineAsync($"error: {headerError}");
            return HarborCommand.ExitBadInput;
        }

        var harbor = services.GetRequiredService<IHarborClient>();
        var access = services.GetRequiredService<IHarborAccessClient>();
        var shown = HarborCommand.Redacted(valid.Url);
        var verified = !services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HarborOptions>>().Value.InsecureSkipTlsVerify;
        if (await ReachAsync(harbor, shown, request.Username, valid.Url, verified, output, error, cancellationToken) is { } failed)
        {
            return failed;
        }

        var failures = 0;
        try
        {
            foreach (var project in request.Projects)
            {
                if (await harbor.GetProjectAsync(project, cancellationToken) is null)
                {
                    await error.WriteLineAsync($"error: project {project} does not exist in {shown} (or {request.Username} cannot see it); create it first. Nothing was changed.");
                    return HarborCommand.ExitProblems;
                }
            }

            var (robotName, secret) = await EnsureRobotAsync(access, request, output, cancellationToken);
            foreach (var project in request.Projects)
            {
                failures += await EnsureProjectAsync(harbor, project, valid.WebhookUrl, headerFor(project), output, error, cancellationToken);
            }

            await PrintSettingsAsync(output, shown, robotName, secret, request.Projects, valid.WebhookUrl);
        }
        catch (HarborApiException e)
        {
            await error.WriteLineAsync($"error: {e.Message}" + (e.StatusCode == 403 ? $" ({request.Username} lacks the permission; connect as a Harbor admin)" : ""));
            return HarborCommand.ExitProblems;
        }

        return failures == 0 ? HarborCommand.ExitOk : HarborCommand.ExitProblems;
    }

    private sealed record Valid(Uri Url, string WebhookUrl);

    private static async Task<Valid?> ValidateAsync(Request request, IConfiguration configuration, TextWriter error)
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            problems.Add($"--url '{request.Url}' is not an http(s) address (e.g. https://harbor.example.com)");
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            problems.Add("no password: pass --password-stdin and write the password to standard input (e.g. `printf %s \"$HARBOR_PASSWORD\" | harborbridge harbor connect ... --password-stdin`)");
        }

        if (request.Projects.Count == 0)
        {
            problems.Add("no --project given: name each project HarborBridge should watch");
        }

        problems.AddRange(request.Projects.Where(p => !HarborName().IsMatch(p)).Select(p => $"--project '{p}' is not a Harbor project name"));
        if (!HarborName().IsMatch(request.RobotName))
        {
            problems.Add($"--robot-name '{request.RobotName}' must be lower-case letters and digits, with . _ - between them");
        }

        var webhook = request.WebhookUrl ?? configuration[$"{SchedulesOptions.SectionName}:Reconciliation:WebhookAddress"];
        if (!Uri.TryCreate(webhook, UriKind.Absolute, out var hook) || hook.Scheme is not ("http" or "https"))
        {
            problems.Add(webhook is null
                ? "no --webhook-url: give HarborBridge's webhook address as Harbor reaches it, e.g. http://harborbridge.example:8080/webhooks/harbor"
                : $"--webhook-url '{webhook}' is not an http(s) address");
        }

        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"error: {problem}.");
        }

        return problems.Count == 0 ? new Valid(url!, webhook!) : null;
    }

    /// <summary>Ping (reachability, TLS), then a call that needs a signed-in account (credentials).</summary>
    private static async Task<int?> ReachAsync(
        IHarborClient harbor, string shown, string username, Uri url, bool verified, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            if (!await harbor.PingAsync(cancellationToken))
            {
                await error.WriteLineAsync($"error: {shown} did not answer Harbor's /api/v2.0/ping; is --url Harbor's address?");
                return HarborCommand.ExitProblems;
            }

            _ = await harbor.GetSystemCveAllowlistAsync(cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode is 401 or 403)
        {
            await error.WriteLineAsync($"error: Harbor at {shown} refused {username}'s credentials: {ConnectionFailures.Cause(e)}. Nothing was changed.");
            return HarborCommand.ExitProblems;
        }
        catch (Exception e) when (e is HarborApiException or HttpRequestException)
        {
            var fix = ConnectionFailures.IsTlsFailure(e)
                ? " Harbor's certificate is not trusted here: set HarborBridge:Harbor:CaFile to the PEM file of the CA that signed it (e.g. --HarborBridge:Harbor:CaFile=/path/ca.pem)."
                : " Check the address and that Harbor is reachable from here.";
            await error.WriteLineAsync($"error: cannot reach Harbor at {shown}: {ConnectionFailures.Cause(e)}.{fix}");
            return HarborCommand.ExitProblems;
        }

        await output.WriteLineAsync(url.Scheme == "https"
            ? $"Harbor {shown}: reachable, TLS certificate {(verified ? "verified" : "NOT verified (HarborBridge:Harbor:InsecureSkipTlsVerify)")}, signed in as {username}"
            : $"Harbor {shown}: reachable over plain HTTP (the robot's secret will travel unencrypted; use https in production), signed in as {username}");
        return null;
    }

    private static async Task<(string RobotName, string? Secret)> EnsureRobotAsync(IHarborAccessClient access, Request request, TextWriter output, CancellationToken cancellationToken)
    {
        var needed = RobotPermissions.All;
        var existing = (await access.ListSystemRobotsAsync(request.RobotName, cancellationToken)).FirstOrDefault(r => r.Name == request.RobotName);
        if (existing is null)
        {
            var permissions = request.Projects.Select(p => new HarborRobotPermission("project", p, needed)).ToList();
            var created = await access.CreateRobotAsync(
                new HarborRobot(0, request.RobotName, "", "system", RobotDescription, false, -1, permissions), cancellationToken);
            await output.WriteLineAsync($"robot {created.Name}: created with {needed.Count} permissions on each of {string.Join(", ", request.Projects)}");
            return (created.Name, created.Secret);
        }

        // Exactly the needed permissions on the enrolled projects; permissions on other projects are left as they are.
        var changes = new List<string>();
        var kept = existing.Permissions.Where(p => p.Kind != "project" || !request.Projects.Contains(p.Namespace)).ToList();
        foreach (var project in request.Projects)
        {
            var had = existing.Permissions.Where(p => p.Kind == "project" && p.Namespace == project).SelectMany(p => p.Access).ToHashSet();
            if (needed.Except(had).ToList() is { Count: > 0 } missing)
            {
                changes.Add($"added {string.Join(", ", missing)} on {project}");
            }

            if (had.Except(needed).ToList() is { Count: > 0 } extra)
            {
                changes.Add($"removed {string.Join(", ", extra)} on {project}");
            }
        }

        if (existing.Disabled)
        {
            changes.Add("enabled it");
        }

        if (changes.Count == 0)
        {
            await output.WriteLineAsync($"robot {existing.FullName}: already correct ({needed.Count} permissions on each of {string.Join(", ", request.Projects)})");
            return (existing.FullName, null);
        }

        var wanted = kept.Concat(request.Projects.Select(p => new HarborRobotPermission("project", p, needed))).ToList();
        await access.UpdateRobotAsync(existing with { Disabled = false, Permissions = wanted }, cancellationToken);
        await output.WriteLineAsync($"robot {existing.FullName}: updated ({string.Join("; ", changes)})");
        return (existing.FullName, null);
    }

    private static async Task<int> EnsureProjectAsync(IHarborClient harbor, string project, string address, string header, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var found = await WebhookRepair.InspectAsync(harbor, project, address, header, cancellationToken);
        var policy = await WebhookRepair.ApplyPolicyAsync(harbor, project, found, address, header, cancellationToken);
        await output.WriteLineAsync(policy switch
        {
            SetupChange.Created => $"project {project}: webhook policy '{WebhookRepair.PolicyName}' created (to {address}, events {string.Join(", ", WebhookRepair.EventTypes)}, with the project's auth header)",
            SetupChange.Updated => $"project {project}: webhook policy '{found.Policy!.Name}' updated ({string.Join("; ", found.PolicyProblems)})",
            _ => $"project {project}: webhook policy '{found.Policy!.Name}' already correct",
        });
        try
        {
            var scan = await WebhookRepair.ApplyAutoScanAsync(harbor, project, found, cancellationToken);
            await output.WriteLineAsync(scan == SetupChange.Updated
                ? $"project {project}: scan on push turned on"
                : $"project {project}: scan on push already on");
            return 0;
        }
        catch (HarborApiException e)
        {
            // A project admin may not be allowed to change the setting, or the project may use no scanner.
            await error.WriteLineAsync($"project {project}: scan on push NOT turned on: {ConnectionFailures.Cause(e)} ({e.Message}). " +
                $"Turn on 'Automatically scan images on push' in Projects > {project} > Configuration, or HarborBridge asks for each scan itself.");
            return 1;
        }
    }

    private static async Task PrintSettingsAsync(TextWriter output, string url, string robotName, string? secret, IReadOnlyList<string> projects, string webhookUrl)
    {
        await output.WriteLineAsync();
        await output.WriteLineAsync("Settings for HarborBridge (environment variables; the same keys with ':' work in appsettings.json):");
        await output.WriteLineAsync($"  HarborBridge__Harbor__Url={url}");
        await output.WriteLineAsync($"  HarborBridge__Harbor__Username={robotName}");
        await output.WriteLineAsync(secret is null
            ? "  HarborBridge__Harbor__Password=<the robot's secret, unchanged: use the one stored when it was created, or refresh it in Harbor>"
            : $"  HarborBridge__Harbor__Password={secret}");
        for (var i = 0; i < projects.Count; i++)
        {
            await output.WriteLineAsync($"  HarborBridge__Schedules__Reconciliation__Projects__{i.ToString(CultureInfo.InvariantCulture)}={projects[i]}");
        }

        await output.WriteLineAsync($"  HarborBridge__Schedules__Reconciliation__WebhookAddress={webhookUrl}");
        if (secret is not null)
        {
            await output.WriteLineAsync("The robot's secret is shown this once: store it now (e.g. in your secret store); Harbor cannot show it again.");
        }
    }

    // Harbor's robot name rule (src/server/v2.0/handler/robot.go:443), which project names also follow.
    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex HarborName();
}
