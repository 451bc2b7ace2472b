using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HarborBridge.Core.Notifications;

/// <summary>
/// Loads and validates a routing file (YAML text; the caller reads the file). Problems are reported as a
/// <see cref="RoutingFileException"/> naming line, column and field, e.g.
/// <c>routing.yaml: line 7, column 15: teams[0].channels[1]: unknown channel 'web-slak' (configured: web-slack, …)</c>.
/// </summary>
public static class RoutingLoader
{
    private static readonly string[] TopKeys = ["version", "teams", "onCall", "default"];
    private static readonly string[] TeamKeys = ["name", "match", "channels", "events", "digest", "approvers"];
    private static readonly string[] OnCallKeys = ["channels", "events", "minSeverity", "production"];
    private static readonly string[] DefaultKeys = ["channels", "events", "digest"];
    private static readonly string[] MatchKeys = ["project", "repository"];

    /// <summary>The event names the file accepts, as written in it.</summary>
    public static readonly IReadOnlyDictionary<string, NotificationKind> EventNames = new Dictionary<string, NotificationKind>(StringComparer.Ordinal)
    {
        ["warned"] = NotificationKind.Warned,
        ["blocked"] = NotificationKind.Blocked,
        ["quarantined"] = NotificationKind.Quarantined,
        ["released"] = NotificationKind.Released,
        ["at-risk"] = NotificationKind.AtRisk,
        ["exception-expiring"] = NotificationKind.ExceptionExpiring,
        ["operator-alert"] = NotificationKind.OperatorAlert,
        ["exception-requested"] = NotificationKind.ExceptionRequested,
        ["exception-decided"] = NotificationKind.ExceptionDecided,
    };

    private static readonly NotificationKind[] TeamDefaultEvents =
        [NotificationKind.Warned, NotificationKind.Blocked, NotificationKind.Quarantined, NotificationKind.Released, NotificationKind.AtRisk,
         NotificationKind.ExceptionRequested, NotificationKind.ExceptionDecided];

    private static readonly NotificationKind[] OnCallDefaultEvents =
        [NotificationKind.Quarantined, NotificationKind.Released, NotificationKind.OperatorAlert];

    /// <param name="knownChannels">Channel names configured in settings; a reference to any other name is an error.
    /// Null skips that check.</param>
    public static RoutingDocument Load(string yaml, string source = "routing", IReadOnlyCollection<string>? knownChannels = null)
    {
        var reader = new Reader(source, knownChannels);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var inner = e.InnerException as YamlException ?? e;
            throw new RoutingFileException($"{source}: line {inner.Start.Line}, column {inner.Start.Column}: YAML syntax error: {inner.Message}");
        }

        if (stream.Documents.Count == 0 || reader.IsNull(stream.Documents[0].RootNode))
        {
            throw new RoutingFileException($"{source}: the routing file is empty.");
        }

        if (stream.Documents.Count > 1)
        {
            throw new RoutingFileException(reader.At(stream.Documents[1].RootNode, "", "only one YAML document is allowed"));
        }

        var rootNode = stream.Documents[0].RootNode;
        var root = reader.Mapping(rootNode, "(top level)", TopKeys);
        var version = Get(root, "version") ?? throw new RoutingFileException(reader.At(rootNode, "version", "missing; add \"version: 1\" at the top"));
        if (reader.Scalar(version, "version") != "1")
        {
            throw new RoutingFileException(reader.At(version, "version", "unsupported version (this HarborBridge reads version 1)"));
        }

        var teams = new List<TeamRoute>();
        foreach (var (node, path) in reader.Sequence(Get(root, "teams"), "teams"))
        {
            var map = reader.Mapping(node, path, TeamKeys);
            var name = reader.OptionalScalar(Get(map, "name"), path + ".name") is { Length: > 0 } n
                ? n
                : throw new RoutingFileException(reader.At(node, path + ".name", "missing; give the team a name"));
            if (name is RoutingDocument.OnCallRouteName or RoutingDocument.DefaultRouteName || teams.Any(t => t.Name == name))
            {
                throw new RoutingFileException(reader.At(Get(map, "name")!, path + ".name", $"'{name}' is reserved or used by another team"));
            }

            var matches = reader.Matches(Get(map, "match"), path + ".match");
            if (matches.Count == 0)
            {
                throw new RoutingFileException(reader.At(node, path + ".match", "missing; list the projects/repositories this team owns"));
            }

            teams.Add(new TeamRoute(name, matches, reader.Channels(Get(map, "channels"), path + ".channels", node),
                reader.Events(Get(map, "events"), path + ".events", TeamDefaultEvents), reader.Bool(Get(map, "digest"), path + ".digest") ?? true)
            {
                Approvers = reader.Approvers(Get(map, "approvers"), path + ".approvers"),
            });
        }

        OnCallRoute? onCall = null;
        if (Get(root, "onCall") is { } onCallNode && !reader.IsNull(onCallNode))
        {
            var map = reader.Mapping(onCallNode, "onCall", OnCallKeys);
            Severity? min = null;
            if (reader.OptionalScalar(Get(map, "minSeverity"), "onCall.minSeverity") is { } word)
            {
                min = SeverityNames.TryParseStrict(word, out var s)
                    ? s
                    : throw new RoutingFileException(reader.At(Get(map, "minSeverity")!, "onCall.minSeverity", $"unknown severity '{word}' (use LOW, MEDIUM, HIGH or CRITICAL)"));
            }

            var production = Get(map, "production") is { } p && !reader.IsNull(p) ? reader.Matches(p, "onCall.production") : null;
            onCall = new OnCallRoute(reader.Channels(Get(map, "channels"), "onCall.channels", onCallNode),
                reader.Events(Get(map, "events"), "onCall.events", OnCallDefaultEvents), min, production);
        }

        DefaultRoute? fallback = null;
        if (Get(root, "default") is { } defaultNode && !reader.IsNull(defaultNode))
        {
            var map = reader.Mapping(defaultNode, "default", DefaultKeys);
            fallback = new DefaultRoute(reader.Channels(Get(map, "channels"), "default.channels", defaultNode),
                reader.Events(Get(map, "events"), "default.events", [.. EventNames.Values]), reader.Bool(Get(map, "digest"), "default.digest") ?? true);
        }

        return new RoutingDocument(teams, onCall, fallback);
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private sealed class Reader(string source, IReadOnlyCollection<string>? knownChannels)
        : Yaml.YamlFileReader(source, message => new RoutingFileException(message))
    {
        public List<RouteMatch> Matches(YamlNode? node, string path)
        {
            var matches = new List<RouteMatch>();
            foreach (var (item, itemPath) in Sequence(node, path))
            {
                var map = Mapping(item, itemPath, MatchKeys);
                matches.Add(new RouteMatch(Glob(Get(map, "project"), itemPath + ".project"), Glob(Get(map, "repository"), itemPath + ".repository")));
            }

            return matches;
        }

        public List<string> Channels(YamlNode? node, string path, YamlNode owner)
        {
            var channels = new List<string>();
            foreach (var (item, itemPath) in Sequence(node, path))
            {
                var name = Scalar(item, itemPath).Trim();
                if (name.Length == 0)
                {
                    throw new RoutingFileException(At(item, itemPath, "empty channel name"));
                }

                if (knownChannels is not null && !knownChannels.Contains(name, StringComparer.Ordinal))
                {
                    var known = knownChannels.Count == 0 ? "none; configure HarborBridge:Notifications:Channels:<name>" : string.Join(", ", knownChannels.Order(StringComparer.Ordinal));
                    throw new RoutingFileException(At(item, itemPath, $"unknown channel '{name}' (configured: {known})"));
                }

                channels.Add(name);
            }

            return channels.Count > 0 ? channels : throw new RoutingFileException(At(node ?? owner, path, "missing; name at least one channel"));
        }

        /// <summary>Identities that may approve exception requests for the team's artifacts: non-empty, listed once each.</summary>
        public List<string> Approvers(YamlNode? node, string path)
        {
            var approvers = new List<string>();
            foreach (var (item, itemPath) in Sequence(node, path))
            {
                var name = Scalar(item, itemPath).Trim();
                if (name.Length == 0 || name.Length > Policy.ExceptionRequestRules.MaxIdentityLength || name.Any(char.IsControl))
                {
                    throw new RoutingFileException(At(item, itemPath,
                        $"an approver is a user name or e-mail address of 1 to {Policy.ExceptionRequestRules.MaxIdentityLength} printable characters"));
                }

                if (approvers.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    throw new RoutingFileException(At(item, itemPath, $"'{name}' is listed twice"));
                }

                approvers.Add(name);
            }

            return approvers;
        }

        public HashSet<NotificationKind> Events(YamlNode? node, string path, NotificationKind[] defaults)
        {
            if (IsNull(node))
            {
                return [.. defaults];
            }

            var events = new HashSet<NotificationKind>();
            foreach (var (item, itemPath) in Sequence(node, path))
            {
                var word = Scalar(item, itemPath).Trim();
                events.Add(EventNames.TryGetValue(word, out var kind)
                    ? kind
                    : throw new RoutingFileException(At(item, itemPath, $"unknown event '{word}' (use {string.Join(", ", EventNames.Keys)})")));
            }

            return events;
        }

        private Glob Glob(YamlNode? node, string path)
        {
            if (OptionalScalar(node, path) is not { } pattern)
            {
                return Policy.Glob.Any;
            }

            return Policy.Glob.TryParse(pattern, out var glob, out var error)
                ? glob
                : throw new RoutingFileException(At(node!, path, $"bad glob '{pattern}': {error}"));
        }
    }
}
