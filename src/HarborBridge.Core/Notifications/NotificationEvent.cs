using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HarborBridge.Contracts;

namespace HarborBridge.Core.Notifications;

/// <summary>One event worth telling someone about, in a shape common to every input message.</summary>
/// <param name="Subject">What deduplication groups by: the artifact, the exception or the operator alert.</param>
/// <param name="ContentHash">Hash of what makes two events "the same news" (for findings: the finding set).</param>
public sealed record NotificationEvent(
    NotificationKind Kind,
    string EventId,
    string Subject,
    ArtifactRef? Artifact,
    string? Tag,
    string Reason,
    IReadOnlyList<DecidingFinding> Findings,
    IReadOnlyList<NotificationFact> Facts,
    string ContentHash,
    DateTimeOffset At)
{
    /// <summary>The kind in kebab case (<c>quarantined</c>), part of the deduplication key.</summary>
    public string Verdict => RoutingLoader.EventNames.First(e => e.Value == Kind).Key;

    /// <summary>PagerDuty's dedup_key: the same artifact (or alert) always opens, updates and resolves one incident.</summary>
    public string IncidentKey => "harborbridge:" + Subject;

    public static NotificationEvent From(ArtifactWarned e) => Decision(NotificationKind.Warned, e.DecisionId, e.Artifact, e.Tag,
        "the policy passed it with warnings", e.Findings, [Fact("Policy version", e.PolicyVersion)], e.DecidedAt);

    public static NotificationEvent From(ArtifactBlocked e) => Decision(NotificationKind.Blocked, e.DecisionId, e.Artifact, e.Tag, e.Reason, e.Findings,
        [Fact("Enforced", e.Enforced ? "yes" : "no (dry-run: recorded, not quarantined)"), Fact("Policy version", e.PolicyVersion)], e.DecidedAt);

    public static NotificationEvent From(ArtifactQuarantined e) => Decision(NotificationKind.Quarantined, e.DecisionId, e.Artifact, e.Tag, e.Reason, e.Findings,
        [Fact("Quarantine", string.Join(", ", e.Strategies))], e.QuarantinedAt);

    public static NotificationEvent From(ArtifactAtRisk e) => Decision(NotificationKind.AtRisk, e.DecisionId, e.Artifact, e.Tag, e.Reason, e.Findings,
        [Fact("Fix by", e.FixBy.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)), Fact("Policy version", e.PolicyVersion)], e.DecidedAt);

    public static NotificationEvent From(ArtifactReleased e) => new(NotificationKind.Released, e.RequestId, e.Artifact.ToString(), e.Artifact, null,
        e.Reason, [], [Fact("Released by", e.Actor), Fact("Cause", e.Cause)], Hash("released"), e.ReleasedAt);

    public static NotificationEvent From(ExceptionExpiring e)
    {
        var state = e.DaysLeft <= 0 ? "expired" : $"{e.DaysLeft} day(s) left";
        List<NotificationFact> facts = [Fact("Exception", e.ExceptionId), Fact("Scope", e.Scope),
            Fact("Expires", e.Expires.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), Fact("State", state)];
        facts.AddRange(new[] { ("Owner", e.Owner), ("Ticket", e.Ticket), ("Reason", e.Reason) }
            .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => Fact(p.Item1, p.Item2!)));
        return new(NotificationKind.ExceptionExpiring, $"{e.ExceptionId}:{e.Scope}:{e.DaysLeft}", $"exception:{e.ExceptionId}:{e.Scope}", null, null,
            e.DaysLeft <= 0 ? "the exception has expired" : $"the exception expires in {e.DaysLeft} day(s)", [], facts, Hash(state), e.At);
    }

    /// <summary>A new request goes to the scope's owners (kind exception-requested); an outcome to the requester's team
    /// (exception-decided). The subject is the request, so each of its steps is one message.</summary>
    public static NotificationEvent From(ExceptionRequestChanged e, string? bridgeUrl)
    {
        List<NotificationFact> facts = [Fact("Request", e.RequestId), Fact("Finding", e.FindingId), Fact("Scope", e.Scope),
            Fact("Requested by", e.Requester), Fact("Expires", e.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), Fact("Reason", e.Reason)];
        if (e.State == "requested")
        {
            facts.Add(Fact("May approve", e.Approvers.Count == 0 ? $"nobody yet: add approvers: to team {e.Team ?? "(none)"} in the routing file" : string.Join(", ", e.Approvers)));
            var api = $"{(bridgeUrl ?? "http://<harborbridge>").TrimEnd('/')}/api/v1/exceptions/requests/{e.RequestId}";
            facts.Add(Fact("Approve", $"harborbridge exceptions approve {e.RequestId} --approver <you> (or POST {api}/approve {{\"approver\": \"<you>\"}})"));
            facts.Add(Fact("Deny", $"harborbridge exceptions deny {e.RequestId} --approver <you> --comment <why> (or POST {api}/deny)"));
        }
        else
        {
            facts.Add(Fact("Outcome", e.State));
            facts.AddRange(new[] { ("Decided by", e.DecidedBy), ("Comment", e.Comment) }
                .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => Fact(p.Item1, p.Item2!)));
        }

        var reason = e.State switch
        {
            "requested" => $"{e.Requester} asks for an exception for {e.FindingId} ({e.Scope}) until {e.Expires:yyyy-MM-dd}",
            "approved" => $"the exception for {e.FindingId} ({e.Scope}) was approved by {e.DecidedBy}; the artifacts in its scope are judged again",
            "denied" => $"the exception for {e.FindingId} ({e.Scope}) was denied by {e.DecidedBy}; the artifacts stay as they are",
            _ => $"the exception for {e.FindingId} ({e.Scope}) has expired; the artifacts in its scope are judged again without it",
        };
        return new(e.State == "requested" ? NotificationKind.ExceptionRequested : NotificationKind.ExceptionDecided, $"{e.RequestId}:{e.State}",
            $"exception-request:{e.RequestId}", e.Artifact, null, reason, [], facts, Hash(e.State), e.At);
    }

    public static NotificationEvent From(OperatorAlertRaised e) => new(NotificationKind.OperatorAlert, $"{e.AlertKey}:{e.RaisedAt.ToUnixTimeMilliseconds()}",
        $"alert:{e.AlertKey}", e.Artifact, null, e.Summary, [], [Fact("Source", e.Source), Fact("What to do", e.Detail)], Hash(e.Summary), e.RaisedAt);

    /// <summary>Several alerts of one cause within a window, notified as one: the subject (and PagerDuty's incident) is the
    /// cause, the summary carries the count, the facts a few examples and what to do.</summary>
    public static NotificationEvent FromAlerts(OperatorAlertRaised first, int count, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<string> examples)
    {
        var summary = count == 1
            ? first.Summary
            : string.Create(CultureInfo.InvariantCulture, $"{count} alerts of one cause between {from:HH:mm:ss} and {to:HH:mm:ss} UTC; the first: {first.Summary}");
        List<NotificationFact> facts = [Fact("Source", first.Source), Fact("Cause", first.Cause ?? first.AlertKey),
            Fact("Count", count.ToString(CultureInfo.InvariantCulture))];
        if (count > 1)
        {
            facts.Add(Fact("Examples", string.Join("\n", examples)));
        }

        facts.Add(Fact("What to do", first.Detail));
        return new(NotificationKind.OperatorAlert, $"alerts:{first.Cause}:{from.ToUnixTimeMilliseconds()}", $"alert:{first.Cause}",
            count == 1 ? first.Artifact : null, null, summary, [], facts, Hash(summary), to);
    }

    /// <summary>Stable hash of a finding set: the same findings in any order give the same hash.</summary>
    public static string FindingSetHash(IReadOnlyList<DecidingFinding> findings) =>
        Hash(string.Join('\n', findings.Select(f => $"{f.Id}|{f.Package}|{f.InstalledVersion}|{f.FixedVersion}|{f.Severity}|{f.Outcome}")
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)));

    /// <summary>How a finding is named in "what changed": id and package.</summary>
    public static string FindingKey(DecidingFinding f) => $"{f.Id} ({f.Package})";

    private static NotificationEvent Decision(NotificationKind kind, string id, ArtifactRef artifact, string? tag, string reason,
        IReadOnlyList<DecidingFinding> findings, IReadOnlyList<NotificationFact> facts, DateTimeOffset at) =>
        new(kind, id, artifact.ToString(), artifact, tag, reason, findings, facts, FindingSetHash(findings), at);

    private static NotificationFact Fact(string label, string value) => new(label, value);

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
