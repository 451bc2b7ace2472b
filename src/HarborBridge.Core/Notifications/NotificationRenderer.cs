using System.Globalization;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Notifications;

/// <summary>Where links in messages point. <paramref name="HarborArtifactUrl"/> is a template with
/// <c>{project}</c>, <c>{repository}</c> and <c>{digest}</c>; <paramref name="BridgeUrl"/> is HarborBridge's public base URL.</summary>
public sealed record NotificationLinks(string? HarborArtifactUrl, string? BridgeUrl);

/// <summary>The finding ids added and removed since the previous message for the same artifact, verdict and channel.</summary>
public sealed record FindingChange(IReadOnlyList<string> Added, IReadOnlyList<string> Removed);

/// <summary>Turns an event into channel-independent message content: what happened, the verdict, the findings that
/// decided it, what to do next and where to look. Pure: no I/O, no clock.</summary>
public static class NotificationRenderer
{
    public static NotificationContent Render(NotificationEvent e, NotificationLinks links, string? pushedBy = null, FindingChange? change = null)
    {
        var where = e.Artifact is { } a ? $"{a.FullRepository}{(e.Tag is { Length: > 0 } t ? ":" + t : "")}@{Short(a.Digest)}" : null;
        var enforced = e.Kind != NotificationKind.Blocked || e.Facts.Any(f => f.Label == "Enforced" && f.Value == "yes");
        var title = e.Kind switch
        {
            NotificationKind.Warned => $"Warning: {where}",
            NotificationKind.Blocked => enforced ? $"Blocked: {where}" : $"Would be blocked (dry-run): {where}",
            NotificationKind.Quarantined => $"Quarantined: {where}",
            NotificationKind.Released => $"Released from quarantine: {where}",
            NotificationKind.AtRisk => $"At risk: {where}",
            NotificationKind.ExceptionExpiring => $"Exception {e.Facts[0].Value}: {e.Reason}",
            NotificationKind.ExceptionRequested => $"Exception requested: {e.Facts[1].Value} for {where}",
            NotificationKind.ExceptionDecided => $"Exception request {e.Facts.First(f => f.Label == "Outcome").Value}: {e.Facts[1].Value} for {where}",
            _ => $"Operator alert: {e.Reason}",
        };
        if (change is not null)
        {
            title = "Findings changed. " + title;
        }

        var counts = e.Findings.GroupBy(f => f.Severity.ToUpperInvariant()).OrderByDescending(g => SeverityNames.FromReport(g.Key))
            .Select(g => $"{g.Count()} {g.Key}").ToList();
        var summary = e.Kind switch
        {
            NotificationKind.Released or NotificationKind.ExceptionExpiring or NotificationKind.OperatorAlert
                or NotificationKind.ExceptionRequested or NotificationKind.ExceptionDecided => Sentence(e.Reason),
            _ => Sentence(e.Reason) + (counts.Count > 0 ? $" Deciding findings: {string.Join(", ", counts)}." : ""),
        };

        var facts = new List<NotificationFact>();
        if (where is not null)
        {
            facts.Add(new("Artifact", $"{e.Artifact!.FullRepository}{(e.Tag is { Length: > 0 } tag ? ":" + tag : "")}@{e.Artifact.Digest}"));
        }

        facts.Add(new("Verdict", e.Verdict));
        if (pushedBy is { Length: > 0 })
        {
            facts.Add(new("Pushed by", pushedBy));
        }

        facts.AddRange(e.Facts);
        facts.Add(new("At", e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)));

        var findings = e.Findings.OrderByDescending(f => SeverityNames.FromReport(f.Severity))
            .ThenBy(f => f.Id, StringComparer.Ordinal).ThenBy(f => f.Package, StringComparer.Ordinal).ToList();
        return new NotificationContent(e.Verdict, Urgency(e, enforced), title, summary, e.Artifact, e.Tag, facts, findings,
            change?.Added ?? [], change?.Removed ?? [], NextSteps(e.Kind, enforced), Links(e.Artifact, links));
    }

    /// <summary>A readable one-line description of a finding: id, package, installed → fixed version.</summary>
    public static string Describe(DecidingFinding f) =>
        $"{f.Severity.ToUpperInvariant()} {f.Id} in {f.Package} {f.InstalledVersion ?? "?"} → {(f.FixedVersion is { Length: > 0 } fix ? fix : "no fix yet")}";

    private static string Urgency(NotificationEvent e, bool enforced) => e.Kind switch
    {
        NotificationKind.Quarantined => e.Findings.Any(f => SeverityNames.FromReport(f.Severity) == Severity.Critical) ? "critical" : "error",
        NotificationKind.Blocked => enforced ? "error" : "warning",
        NotificationKind.AtRisk or NotificationKind.OperatorAlert => "error",
        NotificationKind.Released or NotificationKind.ExceptionDecided => "info",
        _ => "warning",
    };

    private static string NextSteps(NotificationKind kind, bool enforced) => kind switch
    {
        NotificationKind.Warned => "The image is signed and can be used. Update the packages listed to the fixed versions and push a new image before the warning turns into a block.",
        NotificationKind.Blocked when !enforced => "Nothing was quarantined (dry-run). Once the policy is enforced this image would be quarantined: update the packages listed to the fixed versions and push again.",
        NotificationKind.Blocked or NotificationKind.Quarantined => "Update the packages listed to the fixed versions and push a new image. If a finding does not apply, request a policy exception (id, scope, reason, expiry) from the platform team; an admin can then release the artifact.",
        NotificationKind.AtRisk => "The image is still usable but will be quarantined at the fix-by time. Update the packages listed and push a new image, or request a policy exception before then.",
        NotificationKind.Released => "Nothing to do: the artifact can be pulled again. Any page about it has been resolved.",
        NotificationKind.ExceptionExpiring => "Fix the finding before the exception expires, or ask for the exception to be renewed with a reason and a new expiry date.",
        NotificationKind.ExceptionRequested => "An approver of the owning team approves or denies the request (commands above); approval puts the exception in force and judges the artifacts in its scope again.",
        NotificationKind.ExceptionDecided => "Approved: the artifacts in the scope are judged again with the exception and released if nothing else blocks them. Denied or expired: fix the finding and push a new image.",
        _ => "See the detail above; the alert repeats until the cause is fixed.",
    };

    private static List<NotificationLink> Links(ArtifactRef? artifact, NotificationLinks links)
    {
        var list = new List<NotificationLink>();
        if (artifact is null)
        {
            return list;
        }

        if (links.HarborArtifactUrl is { Length: > 0 } template)
        {
            list.Add(new("Open in Harbor", template
                .Replace("{project}", Uri.EscapeDataString(artifact.Project), StringComparison.Ordinal)
                .Replace("{repository}", Uri.EscapeDataString(Uri.EscapeDataString(artifact.Repository)), StringComparison.Ordinal)
                .Replace("{digest}", artifact.Digest, StringComparison.Ordinal)));
        }

        if (links.BridgeUrl is { Length: > 0 } bridge)
        {
            list.Add(new("Open in HarborBridge", $"{bridge.TrimEnd('/')}/api/v1/artifacts/{artifact.Digest}"));
        }

        return list;
    }

    private static string Sentence(string text) =>
        text.Length == 0 ? "" : char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");

    private static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
