using System.Globalization;
using HarborBridge.Core.Findings;
using YamlDotNet.RepresentationModel;

namespace HarborBridge.Core.Policy;

/// <summary>The policy's <c>exceptions</c> (each with its expiry), <c>exceptionRequests</c> and <c>rescan</c> rules, and the
/// durations they are written in.</summary>
public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        public int? ExceptionRequestMaxDays(YamlNode node)
        {
            var map = Mapping(node, "exceptionRequests", ExceptionRequestKeys);
            if (OptionalScalar(map.Get("maxDays"), "exceptionRequests.maxDays") is not { } text)
            {
                return null;
            }

            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= ExceptionRequestRules.MaxDaysLimit
                ? days
                : throw new PolicyFileException(At(map.Get("maxDays")!, "exceptionRequests.maxDays",
                    $"'{text}' is not a whole number of days between 1 and {ExceptionRequestRules.MaxDaysLimit}"));
        }

        public RescanRules Rescan(YamlNode node)
        {
            var map = Mapping(node, "rescan", RescanKeys);
            var fixWithin = new Dictionary<Severity, TimeSpan>(RescanRules.BuiltIn.FixWithin);
            var fallback = RescanRules.BuiltIn.DefaultFixWithin;
            if (map.Get("fixWithin") is { } f && !IsNull(f))
            {
                foreach (var (key, value) in Mapping(f, "rescan.fixWithin", FixWithinKeys).Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    var within = Duration(value, $"rescan.fixWithin.{name}", allowZero: true)!.Value;
                    if (name == "default")
                    {
                        fallback = within;
                    }
                    else
                    {
                        fixWithin[Enum.Parse<Severity>(name, ignoreCase: true)] = within;
                    }
                }
            }

            return new RescanRules(fixWithin, fallback);
        }

        private TimeSpan? Duration(YamlNode? node, string path, bool allowZero = false)
        {
            if (OptionalScalar(node, path) is not { } text)
            {
                return null;
            }

            var match = DurationPattern().Match(text);
            if (!match.Success || !int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var amount) || (amount == 0 && !allowZero))
            {
                throw new PolicyFileException(At(node!, path, $"'{text}' is not a duration such as 7d, 24h or 90m"));
            }

            return match.Groups[2].Value switch
            {
                "d" => TimeSpan.FromDays(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromMinutes(amount),
            };
        }

        public PolicyExceptionRule Exception(YamlMappingNode map, YamlNode node, string path)
        {
            var id = OptionalScalar(map.Get("id"), path + ".id") is { Length: > 0 } i
                ? i
                : throw new PolicyFileException(At(node, path + ".id", "missing; name a vulnerability id (CVE-…), a package name or a PURL (pkg:…)"));
            var reason = OptionalScalar(map.Get("reason"), path + ".reason") is { Length: > 0 } r
                ? r
                : throw new PolicyFileException(At(node, path + ".reason", "missing; say why the finding is acceptable"));

            DateOnly? expires = null;
            if (OptionalScalar(map.Get("expires"), path + ".expires") is { } date)
            {
                expires = DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                    ? day
                    : throw new PolicyFileException(At(map.Get("expires")!, path + ".expires", $"'{date}' is not a date in the form YYYY-MM-DD"));
            }

            Glob? project = null;
            Glob? repository = null;
            string? digest = null;
            if (map.Get("scope") is { } scopeNode && !IsNull(scopeNode))
            {
                var scope = Mapping(scopeNode, path + ".scope", ScopeKeys);
                project = Glob(scope.Get("project"), path + ".scope.project");
                repository = Glob(scope.Get("repository"), path + ".scope.repository");
                digest = OptionalScalar(scope.Get("digest"), path + ".scope.digest");
                if (digest is not null && !DigestPattern().IsMatch(digest))
                {
                    throw new PolicyFileException(At(scope.Get("digest")!, path + ".scope.digest", $"'{digest}' is not a digest (sha256:<64 hex digits>)"));
                }
            }

            return new PolicyExceptionRule(id, project, repository, digest, expires, reason,
                OptionalScalar(map.Get("owner"), path + ".owner"), OptionalScalar(map.Get("ticket"), path + ".ticket"))
            {
                Line = (int)node.Start.Line,
            };
        }
    }
}
