using HarborBridge.Core.Harbor;
using HarborBridge.Webhooks;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scheduling;

/// <summary>Opt-in (<c>Reconciliation:RepairWebhooks</c>): makes sure a project sends HarborBridge the events it needs
/// (a webhook policy targeting <c>Reconciliation:WebhookAddress</c>, enabled, with every needed event type) and scans on
/// push. Creates what is missing, repairs what differs, and leaves everything else in the project alone.</summary>
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

    /// <summary>The policy's header differs from the one HarborBridge expects (a rotated master, a switch to per-project
    /// mode). Harbor returns <c>auth_header</c> in the policy; an empty value (a Harbor that hides it) is left alone.</summary>
    private static bool StaleHeader(HarborWebhookPolicy policy, string address, HarborWebhookTarget expected) =>
        policy.Targets.FirstOrDefault(t => string.Equals(t.Address, address, StringComparison.OrdinalIgnoreCase)) is { AuthHeader: { Length: > 0 } current }
        && !string.Equals(current, expected.AuthHeader, StringComparison.Ordinal);

    public async Task RepairAsync(string project, CancellationToken cancellationToken)
    {
        var address = options.Value.Reconciliation.WebhookAddress!;
        // Per-project mode: this project's own header, so its policy (readable by its members) cannot forge others' events.
        var target = new HarborWebhookTarget("http", address, authenticator.HeaderFor(project), false, "CloudEvents");
        var ours = (await Harbor.ListWebhookPoliciesAsync(project, cancellationToken))
            .FirstOrDefault(p => p.Targets.Any(t => string.Equals(t.Address, address, StringComparison.OrdinalIgnoreCase)));
        if (ours is null)
        {
            await Harbor.CreateWebhookPolicyAsync(project, new HarborWebhookPolicy(0, PolicyName, "Events for HarborBridge (created by its reconciliation)", true, EventTypes, [target]), cancellationToken);
            logger.LogWarning("Project {Project} had no webhook policy for HarborBridge; created one", project);
        }
        else if (!ours.Enabled || EventTypes.Except(ours.EventTypes, StringComparer.Ordinal).Any() || StaleHeader(ours, address, target))
        {
            var events = ours.EventTypes.Union(EventTypes, StringComparer.Ordinal).ToList();
            await Harbor.UpdateWebhookPolicyAsync(project, ours.Id, ours with { Enabled = true, EventTypes = events, Targets = [target] }, cancellationToken);
            logger.LogWarning("Webhook policy {PolicyName} of project {Project} was disabled, missed event types or had another auth header; repaired", ours.Name, project);
        }

        var metadata = await Harbor.GetProjectMetadataAsync(project, cancellationToken);
        if (!metadata.TryGetValue(HarborProjectMetadata.AutoScan, out var autoScan) || autoScan != "true")
        {
            await Harbor.SetProjectMetadataAsync(project, HarborProjectMetadata.AutoScan, HarborProjectMetadata.FromBool(true), cancellationToken);
            logger.LogWarning("Project {Project} did not scan on push; switched auto_scan on", project);
        }
    }
}
