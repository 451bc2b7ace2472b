using HarborBridge.Core.Harbor;
using HarborBridge.Webhooks;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scheduling;

/// <summary>What one set-up step did: nothing needed, created, or changed.</summary>
internal enum SetupChange
{
    AlreadyCorrect,
    Created,
    Updated,
}

/// <summary>A project's webhook set-up as found: HarborBridge's policy (by target address, else by name), what is wrong
/// with it, and whether the project scans on push.</summary>
internal sealed record WebhookInspection(HarborWebhookPolicy? Policy, IReadOnlyList<string> PolicyProblems, bool AutoScan);

/// <summary>Makes sure a project sends HarborBridge the events it needs (a webhook policy targeting the webhook
/// address, enabled, with every needed event type and the project's auth header) and scans on push. Creates what is
/// missing, repairs what differs, and leaves everything else in the project alone. The one provisioning path: the
/// reconciler (opt-in <c>Reconciliation:RepairWebhooks</c>, as the robot) and <c>harborbridge harbor connect</c> (as an
/// admin) both call <see cref="ApplyPolicyAsync"/> and <see cref="ApplyAutoScanAsync"/>; <c>harborbridge harbor check</c> and <c>/readyz</c> call
/// <see cref="InspectAsync"/>, which only reads.</summary>
internal sealed class WebhookRepair(
    IServiceProvider services,
    IOptions<SchedulesOptions> options,
    WebhookAuthenticator authenticator,
    ILogger<WebhookRepair> logger)
{
    public const string PolicyName = "harborbridge";

    /// <summary>The events HarborBridge acts on.</summary>
    public static readonly IReadOnlyList<string> EventTypes = ["PUSH_ARTIFACT", "DELETE_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED"];

    private IHarborClient Harbor => services.GetRequiredService<IHarborClient>();

    /// <summary>The target Harbor must send a project's events to. Per-project mode: <paramref name="header"/> is the project's own
    /// header, so its policy (readable by its members) cannot forge others' events.</summary>
    public static HarborWebhookTarget Target(string address, string header) => new("http", address, header, false, "CloudEvents");

    /// <summary>The policy's header differs from the one HarborBridge expects (a rotated master, a switch to per-project
    /// mode). Harbor returns <c>auth_header</c> in the policy; an empty value (a Harbor that hides it) is left alone.</summary>
    private static bool StaleHeader(HarborWebhookPolicy policy, string address, HarborWebhookTarget expected) =>
        policy.Targets.FirstOrDefault(t => SameAddress(t.Address, address)) is { AuthHeader: { Length: > 0 } current }
        && !string.Equals(current, expected.AuthHeader, StringComparison.Ordinal);

    private static bool SameAddress(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the project's webhook policies and metadata; writes nothing.</summary>
    public static async Task<WebhookInspection> InspectAsync(IHarborClient harbor, string project, string address, string header, CancellationToken cancellationToken)
    {
        var target = Target(address, header);
        var policies = await harbor.ListWebhookPoliciesAsync(project, cancellationToken);
        var ours = policies.FirstOrDefault(p => p.Targets.Any(t => SameAddress(t.Address, address)))
            ?? policies.FirstOrDefault(p => p.Name == PolicyName);
        var problems = new List<string>();
        if (ours is null)
        {
            problems.Add($"has no webhook policy sending to {address}");
        }
        else
        {
            if (!ours.Targets.Any(t => SameAddress(t.Address, address)))
            {
                problems.Add($"webhook policy '{ours.Name}' sends to {string.Join(", ", ours.Targets.Select(t => t.Address))}, not {address}");
            }

            if (!ours.Enabled)
            {
                problems.Add($"webhook policy '{ours.Name}' is disabled");
            }

            if (EventTypes.Except(ours.EventTypes, StringComparer.Ordinal).ToList() is { Count: > 0 } missing)
            {
                problems.Add($"webhook policy '{ours.Name}' lacks the event types {string.Join(", ", missing)}");
            }

            if (StaleHeader(ours, address, target))
            {
                problems.Add($"webhook policy '{ours.Name}' sends another Authorization header than HarborBridge expects for project {project}");
            }
        }

        var metadata = await harbor.GetProjectMetadataAsync(project, cancellationToken);
        var autoScan = metadata.TryGetValue(HarborProjectMetadata.AutoScan, out var value) && value == "true";
        return new WebhookInspection(ours, problems, autoScan);
    }

    /// <summary>Creates or repairs the policy, then the scan-on-push switch; writes only what differs.</summary>
    public static async Task<SetupChange> ApplyPolicyAsync(IHarborClient harbor, string project, WebhookInspection found, string address, string header, CancellationToken cancellationToken)
    {
        var target = Target(address, header);
        if (found.Policy is not { } ours)
        {
            await harbor.CreateWebhookPolicyAsync(project, new HarborWebhookPolicy(0, PolicyName, "Events for HarborBridge", true, EventTypes, [target]), cancellationToken);
            return SetupChange.Created;
        }

        if (found.PolicyProblems.Count == 0)
        {
            return SetupChange.AlreadyCorrect;
        }

        var events = ours.EventTypes.Union(EventTypes, StringComparer.Ordinal).ToList();
        await harbor.UpdateWebhookPolicyAsync(project, ours.Id, ours with { Enabled = true, EventTypes = events, Targets = [target] }, cancellationToken);
        return SetupChange.Updated;
    }

    public static async Task<SetupChange> ApplyAutoScanAsync(IHarborClient harbor, string project, WebhookInspection found, CancellationToken cancellationToken)
    {
        if (found.AutoScan)
        {
            return SetupChange.AlreadyCorrect;
        }

        await harbor.SetProjectMetadataAsync(project, HarborProjectMetadata.AutoScan, HarborProjectMetadata.FromBool(true), cancellationToken);
        return SetupChange.Updated;
    }

    public async Task RepairAsync(string project, CancellationToken cancellationToken)
    {
        var address = options.Value.Reconciliation.WebhookAddress!;
        var header = authenticator.HeaderFor(project);
        var found = await InspectAsync(Harbor, project, address, header, cancellationToken);
        switch (await ApplyPolicyAsync(Harbor, project, found, address, header, cancellationToken))
        {
            case SetupChange.Created:
                logger.LogWarning("Project {Project} had no webhook policy for HarborBridge; created one", project);
                break;
            case SetupChange.Updated:
                logger.LogWarning("Webhook policy {PolicyName} of project {Project} was disabled, missed event types, sent elsewhere or had another auth header; repaired",
                    found.Policy!.Name, project);
                break;
            default:
                break;
        }

        if (await ApplyAutoScanAsync(Harbor, project, found, cancellationToken) == SetupChange.Updated)
        {
            logger.LogWarning("Project {Project} did not scan on push; switched auto_scan on", project);
        }
    }
}
