using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.Core.Notifications;

/// <summary>What a notification is about. The routing file names them in kebab case (<c>at-risk</c>).</summary>
public enum NotificationKind
{
    Warned,
    Blocked,
    Quarantined,
    Released,
    AtRisk,
    ExceptionExpiring,
    OperatorAlert,
    ExceptionRequested,
    ExceptionDecided,
}

/// <summary>One project/repository pattern pair of a route.</summary>
public sealed record RouteMatch(Glob Project, Glob Repository)
{
    public bool IsMatch(ArtifactRef artifact) => Project.IsMatch(artifact.Project) && Repository.IsMatch(artifact.Repository);
}

/// <summary>A team: the artifacts it owns and where it hears about them.</summary>
public sealed record TeamRoute(string Name, IReadOnlyList<RouteMatch> Match, IReadOnlyList<string> Channels, IReadOnlySet<NotificationKind> Events, bool Digest)
{
    /// <summary>Who may approve exception requests for this team's artifacts (<c>approvers:</c>); empty = nobody.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];
}

/// <summary>The on-call route: pages for the kinds listed, optionally only from CRITICAL (or another minimum) findings
/// and only for repositories marked production.</summary>
public sealed record OnCallRoute(IReadOnlyList<string> Channels, IReadOnlySet<NotificationKind> Events, Severity? MinSeverity, IReadOnlyList<RouteMatch>? Production);

/// <summary>Where everything goes that no team claims, and the artifact-less kinds (exception reminders, operator alerts).</summary>
public sealed record DefaultRoute(IReadOnlyList<string> Channels, IReadOnlySet<NotificationKind> Events, bool Digest);

/// <summary>One channel chosen for one notification, and the route that chose it.</summary>
public sealed record RouteTarget(string Route, string Channel);

/// <summary>A loaded routing file (see <see cref="RoutingLoader"/>).</summary>
public sealed record RoutingDocument(IReadOnlyList<TeamRoute> Teams, OnCallRoute? OnCall, DefaultRoute? Default)
{
    public const string OnCallRouteName = "on-call";
    public const string DefaultRouteName = "default";

    /// <summary>No routes at all: nothing is sent.</summary>
    public static RoutingDocument Empty { get; } = new([], null, null);

    /// <summary>The channels a notification goes to: the first team whose patterns match the artifact (else the default
    /// route), plus on-call when its conditions hold. A channel named by two routes gets one message.</summary>
    public IReadOnlyList<RouteTarget> Resolve(NotificationKind kind, ArtifactRef? artifact, IReadOnlyList<DecidingFinding> findings)
    {
        var targets = new List<RouteTarget>();
        var team = artifact is null ? null : OwnerOf(artifact);
        if (team is not null)
        {
            if (team.Events.Contains(kind))
            {
                targets.AddRange(team.Channels.Select(c => new RouteTarget(team.Name, c)));
            }
        }
        else if (Default is { } fallback && fallback.Events.Contains(kind))
        {
            targets.AddRange(fallback.Channels.Select(c => new RouteTarget(DefaultRouteName, c)));
        }

        if (OnCall is { } onCall && onCall.Events.Contains(kind)
            && (onCall.MinSeverity is not { } min || findings.Count == 0 || findings.Any(f => SeverityNames.FromReport(f.Severity) >= min))
            && (onCall.Production is not { } production || artifact is null || production.Any(m => m.IsMatch(artifact))))
        {
            targets.AddRange(onCall.Channels.Select(c => new RouteTarget(OnCallRouteName, c)));
        }

        return targets.DistinctBy(t => t.Channel, StringComparer.Ordinal).ToList();
    }

    /// <summary>The team that owns <paramref name="artifact"/>: the first whose patterns match, as for notifications.</summary>
    public TeamRoute? OwnerOf(ArtifactRef artifact) => Teams.FirstOrDefault(t => t.Match.Any(m => m.IsMatch(artifact)));

    /// <summary>The routes that get a daily digest, with their channels.</summary>
    public IEnumerable<(string Route, IReadOnlyList<string> Channels)> DigestRoutes()
    {
        foreach (var team in Teams.Where(t => t.Digest))
        {
            yield return (team.Name, team.Channels);
        }

        if (Default is { Digest: true } fallback)
        {
            yield return (DefaultRouteName, fallback.Channels);
        }
    }

    /// <summary>Every channel name the file refers to.</summary>
    public IEnumerable<string> ChannelNames() =>
        Teams.SelectMany(t => t.Channels).Concat(OnCall?.Channels ?? []).Concat(Default?.Channels ?? []).Distinct(StringComparer.Ordinal);
}
