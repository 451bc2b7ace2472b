using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using HarborBridge.Core.Findings;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HarborBridge.Core.Policy;

/// <summary>
/// Loads and validates a policy file (YAML text; the caller reads the file). Every problem is reported as a
/// <see cref="PolicyFileException"/> whose message names the line, the column and the field, for example
/// <c>policy.yaml: line 4, column 3: defaults.blok: unknown key (allowed: block, warn, …)</c>.
/// </summary>
public static partial class PolicyLoader
{
    private static readonly string[] TopKeys = ["version", "defaults", "projects", "exceptions", "exceptionRequests", "kev", "epss", "rescan"];

    private static readonly string[] SettingKeys =
    [
        "block", "warn", "ignoreUnfixed", "unknownSeverity", "cvssSources", "secrets", "misconfigurations",
        "enforcement", "onScanFailure", "maxReportAge", "quarantine", "kev", "vex", "require",
    ];

    private static readonly string[] ProjectKeys = ["match", .. SettingKeys];
    private static readonly string[] MatchKeys = ["project", "repository"];
    private static readonly string[] ThresholdKeys = ["severity", "cvss", "epssAtLeast"];
    private static readonly string[] ExceptionKeys = ["id", "scope", "expires", "reason", "owner", "ticket"];
    private static readonly string[] ScopeKeys = ["project", "repository", "digest"];
    private static readonly string[] KevKeys = ["file", "block"];
    private static readonly string[] EpssKeys = ["file"];
    private static readonly string[] ExceptionRequestKeys = ["maxDays"];
    private static readonly string[] QuarantineKeys = ["strategies", "label", "labelScope", "project"];
    private static readonly string[] RescanKeys = ["fixWithin"];
    private static readonly string[] RequireKeys = ["action", "signatures", "attestations"];
    private static readonly string[] SignerKeys = ["key", "keyless"];
    private static readonly string[] KeylessKeys = ["issuer", "issuerRegex", "subject", "subjectRegex", "trustedRoot"];
    private static readonly string[] AttestationKeys = ["predicateType", "key", "keyless", "builderId", "sourceRepository"];
    private static readonly string[] FixWithinKeys = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", "default"];

    private static readonly JsonSerializerOptions HashOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static PolicyDocument Load(string yaml, string source = "policy")
    {
        var reader = new Reader(source);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            var mark = e.InnerException is YamlException i ? i.End : e.End;
            var (line, column) = (mark.Line, mark.Column);
            if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstTabIndentedLine(yaml) is { } tabLine)
            {
                // YamlDotNet reports tab indentation at the start of the enclosing mapping; point at the tab instead.
                (line, column) = (tabLine, 1);
            }

            throw new PolicyFileException($"{source}: line {line}, column {column}: YAML syntax error: {message}");
        }

        if (stream.Documents.Count == 0 || reader.IsNull(stream.Documents[0].RootNode))
        {
            throw new PolicyFileException($"{source}: the policy file is empty.");
        }

        if (stream.Documents.Count > 1)
        {
            throw new PolicyFileException(reader.At(stream.Documents[1].RootNode, "", "only one YAML document is allowed"));
        }

        var root = reader.Mapping(stream.Documents[0].RootNode, "(top level)", TopKeys);
        var versionNode = root.Get("version") ?? throw new PolicyFileException(
            reader.At(stream.Documents[0].RootNode, "version", "missing; add \"version: 1\" at the top"));
        if (reader.Scalar(versionNode, "version") != "1")
        {
            throw new PolicyFileException(reader.At(versionNode, "version", "unsupported version (this HarborBridge reads version 1)"));
        }

        var defaults = root.Get("defaults") is { } d && !reader.IsNull(d)
            ? reader.Settings(reader.Mapping(d, "defaults", SettingKeys), "defaults")
            : new PolicySettings();

        var projects = new List<ProjectOverride>();
        foreach (var (node, path) in reader.Sequence(root.Get("projects"), "projects"))
        {
            var map = reader.Mapping(node, path, ProjectKeys);
            var match = map.Get("match") is { } m && !reader.IsNull(m)
                ? reader.Mapping(m, path + ".match", MatchKeys)
                : throw new PolicyFileException(reader.At(node, path + ".match", "missing; say which projects and repositories this entry is for"));
            projects.Add(new ProjectOverride(
                reader.Glob(match.Get("project"), path + ".match.project") ?? Glob.Any,
                reader.Glob(match.Get("repository"), path + ".match.repository") ?? Glob.Any,
                reader.Settings(map, path)) { Line = (int)node.Start.Line });
        }

        var exceptions = new List<PolicyExceptionRule>();
        foreach (var (node, path) in reader.Sequence(root.Get("exceptions"), "exceptions"))
        {
            exceptions.Add(reader.Exception(reader.Mapping(node, path, ExceptionKeys), node, path));
        }

        string? kevFile = null;
        var kevBlocks = true;
        if (root.Get("kev") is { } kevNode && !reader.IsNull(kevNode))
        {
            var kev = reader.Mapping(kevNode, "kev", KevKeys);
            kevFile = reader.OptionalScalar(kev.Get("file"), "kev.file") is { Length: > 0 } f
                ? f
                : throw new PolicyFileException(reader.At(kevNode, "kev.file", "missing; name the CISA KEV JSON file"));
            kevBlocks = reader.Bool(kev.Get("block"), "kev.block") ?? true;
        }

        string? epssFile = null;
        if (root.Get("epss") is { } epssNode && !reader.IsNull(epssNode))
        {
            var epss = reader.Mapping(epssNode, "epss", EpssKeys);
            epssFile = reader.OptionalScalar(epss.Get("file"), "epss.file") is { Length: > 0 } f
                ? f
                : throw new PolicyFileException(reader.At(epssNode, "epss.file", "missing; name FIRST's EPSS CSV file (epss_scores-YYYY-MM-DD.csv)"));
        }
        else if (reader.FirstEpssRule is { } epssRule)
        {
            throw new PolicyFileException(reader.At(epssRule.Node, epssRule.Path, "needs EPSS scores; add \"epss: { file: epss_scores.csv }\" at the top level"));
        }

        var document = new PolicyDocument(1, defaults, projects, exceptions, kevFile, kevBlocks)
        {
            EpssFile = epssFile,
            Rescan = root.Get("rescan") is { } rescanNode && !reader.IsNull(rescanNode) ? reader.Rescan(rescanNode) : null,
            ExceptionRequestMaxDays = root.Get("exceptionRequests") is { } requestsNode && !reader.IsNull(requestsNode)
                ? reader.ExceptionRequestMaxDays(requestsNode)
                : null,
        };
        var canonical = JsonSerializer.SerializeToUtf8Bytes(document, HashOptions);
        return document with { PolicyVersion = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(canonical)) };
    }

    private static int? FirstTabIndentedLine(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (lines[i][..indent].Contains('\t', StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        return null;
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}\\z")]
    private static partial Regex DigestPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}\\z")]
    private static partial Regex LabelPattern();

    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*\\z")]
    private static partial Regex ProjectPattern();

    [GeneratedRegex("^([0-9]+)([dhm])\\z")]
    private static partial Regex DurationPattern();

    private static YamlNode? Get(this YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private sealed partial class Reader(string source) : Yaml.YamlFileReader(source, message => new PolicyFileException(message))
    {
        public Glob? Glob(YamlNode? node, string path)
        {
            if (OptionalScalar(node, path) is not { } pattern)
            {
                return null;
            }

            return Policy.Glob.TryParse(pattern, out var glob, out var error)
                ? glob
                : throw new PolicyFileException(At(node!, path, $"bad glob '{pattern}': {error}"));
        }

        public PolicySettings Settings(YamlMappingNode map, string path)
        {
            var (blockSeverity, blockOff, blockCvss, blockEpss) = Threshold(map.Get("block"), path + ".block");
            var (warnSeverity, warnOff, warnCvss, warnEpss) = Threshold(map.Get("warn"), path + ".warn");
            return new PolicySettings
            {
                BlockEpss = blockEpss,
                WarnEpss = warnEpss,
                Kev = Choice(map.Get("kev"), path + ".kev", ActionWords),
                Vex = VexFiles(map.Get("vex"), path + ".vex"),
                BlockSeverity = blockSeverity,
                BlockSeverityOff = blockOff,
                BlockCvss = blockCvss,
                WarnSeverity = warnSeverity,
                WarnSeverityOff = warnOff,
                WarnCvss = warnCvss,
                IgnoreUnfixed = Bool(map.Get("ignoreUnfixed"), path + ".ignoreUnfixed"),
                UnknownSeverity = OptionalScalar(map.Get("unknownSeverity"), path + ".unknownSeverity") is { } unknown
                    ? SeverityNames.TryParseStrict(unknown, out var u)
                        ? u
                        : throw new PolicyFileException(At(map.Get("unknownSeverity")!, path + ".unknownSeverity",
                            $"unknown severity '{unknown}' (use UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)"))
                    : null,
                CvssSources = CvssSources(map.Get("cvssSources"), path + ".cvssSources"),
                Secrets = Choice(map.Get("secrets"), path + ".secrets", ActionWords),
                Misconfigurations = Choice(map.Get("misconfigurations"), path + ".misconfigurations", ActionWords),
                Enforcement = Choice(map.Get("enforcement"), path + ".enforcement", EnforcementWords),
                OnScanFailure = Choice(map.Get("onScanFailure"), path + ".onScanFailure", ScanFailureWords),
                MaxReportAge = Duration(map.Get("maxReportAge"), path + ".maxReportAge"),
                Quarantine = QuarantineBlock(map.Get("quarantine"), path + ".quarantine"),
                Require = RequireBlock(map.Get("require"), path + ".require"),
            };
        }

        /// <summary>The first <c>epssAtLeast</c> read, for the error when no EPSS file is configured.</summary>
        public (YamlNode Node, string Path)? FirstEpssRule { get; private set; }

        private List<string>? VexFiles(YamlNode? node, string path)
        {
            if (IsNull(node))
            {
                return null;
            }

            var list = new List<string>();
            foreach (var (item, itemPath) in Sequence(node, path))
            {
                var file = Scalar(item, itemPath).Trim();
                if (file.Length == 0 || file.Contains("://", StringComparison.Ordinal))
                {
                    throw new PolicyFileException(At(item, itemPath, $"'{file}' is not a file path (name a local OpenVEX JSON file)"));
                }

                if (!list.Contains(file, StringComparer.Ordinal))
                {
                    list.Add(file);
                }
            }

            return list;
        }

        private (Severity? Severity, bool? Off, double? Cvss, double? Epss) Threshold(YamlNode? node, string path)
        {
            if (IsNull(node))
            {
                return (null, null, null, null);
            }

            var map = Mapping(node!, path, ThresholdKeys);
            Severity? severity = null;
            bool? off = null;
            if (OptionalScalar(map.Get("severity"), path + ".severity") is { } word)
            {
                if (word.Equals("NONE", StringComparison.OrdinalIgnoreCase))
                {
                    off = true;
                }
                else if (SeverityNames.TryParseStrict(word, out var parsed))
                {
                    severity = parsed;
                    off = false;
                }
                else
                {
                    throw new PolicyFileException(At(map.Get("severity")!, path + ".severity",
                        $"unknown severity '{word}' (use UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL, or NONE to switch it off)"));
                }
            }

            double? cvss = null;
            if (OptionalScalar(map.Get("cvss"), path + ".cvss") is { } score)
            {
                cvss = double.TryParse(score, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 10
                    ? value
                    : throw new PolicyFileException(At(map.Get("cvss")!, path + ".cvss", $"'{score}' is not a CVSS score between 0 and 10"));
            }

            double? epss = null;
            if (OptionalScalar(map.Get("epssAtLeast"), path + ".epssAtLeast") is { } probability)
            {
                epss = double.TryParse(probability, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1
                    ? value
                    : throw new PolicyFileException(At(map.Get("epssAtLeast")!, path + ".epssAtLeast",
                        $"'{probability}' is not an EPSS probability between 0 and 1 (e.g. 0.1 for 10%)"));
                FirstEpssRule ??= (map.Get("epssAtLeast")!, path + ".epssAtLeast");
            }

            return (severity, off, cvss, epss);
        }

        private List<string>? CvssSources(YamlNode? node, string path)
        {
            if (IsNull(node))
            {
                return null;
            }

            var list = new List<string>();
            foreach (var (item, itemPath) in Sequence(node, path))
            {
                var name = Scalar(item, itemPath).Trim().ToLowerInvariant();
                if (name.Length == 0 || name.Any(char.IsWhiteSpace))
                {
                    throw new PolicyFileException(At(item, itemPath, $"'{name}' is not a source id (e.g. nvd, redhat, ghsa, any)"));
                }

                list.Add(name);
            }

            return list.Count > 0 ? list : throw new PolicyFileException(At(node!, path, "the list is empty"));
        }

        private static readonly Dictionary<string, FindingAction> ActionWords = new()
        {
            ["block"] = FindingAction.Block,
            ["warn"] = FindingAction.Warn,
            ["ignore"] = FindingAction.Ignore,
        };

        private static readonly Dictionary<string, Enforcement> EnforcementWords = new()
        {
            ["enforce"] = Policy.Enforcement.Enforce,
            ["dryrun"] = Policy.Enforcement.DryRun,
        };

        private static readonly Dictionary<string, ScanFailureAction> ScanFailureWords = new()
        {
            ["hold"] = ScanFailureAction.Hold,
            ["quarantine"] = ScanFailureAction.Quarantine,
            ["allow"] = ScanFailureAction.Allow,
        };

        private T? Choice<T>(YamlNode? node, string path, Dictionary<string, T> words)
            where T : struct
        {
            if (OptionalScalar(node, path) is not { } word)
            {
                return null;
            }

            return words.TryGetValue(word.ToLowerInvariant(), out var value)
                ? value
                : throw new PolicyFileException(At(node!, path, $"'{word}' is not one of: {string.Join(", ", words.Keys)}"));
        }
    }
}
