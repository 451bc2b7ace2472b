using System.Text.Json.Serialization;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Quarantine;

namespace HarborBridge.Core.Policy;

/// <summary>What to do with a class of findings that has no severity thresholds (secrets, misconfigurations).</summary>
public enum FindingAction
{
    Ignore,
    Warn,
    Block,
}

public enum Enforcement
{
    /// <summary>The verdict is acted on (sign or quarantine).</summary>
    Enforce,

    /// <summary>The verdict is recorded and reported, but nothing is blocked.</summary>
    DryRun,
}

/// <summary>What happens to an artifact whose scan failed or never finished.</summary>
public enum ScanFailureAction
{
    Hold,
    Quarantine,
    Allow,
}

/// <summary>
/// Settings that the defaults set and a project override may set again. A null member is "not set here":
/// overrides inherit it from the defaults, and the defaults from <see cref="PolicyRules.BuiltIn"/>.
/// </summary>
public sealed record PolicySettings
{
    public Severity? BlockSeverity { get; init; }

    /// <summary>True when <c>block.severity: NONE</c> switched severity blocking off.</summary>
    public bool? BlockSeverityOff { get; init; }

    public double? BlockCvss { get; init; }

    public Severity? WarnSeverity { get; init; }

    public bool? WarnSeverityOff { get; init; }

    public double? WarnCvss { get; init; }

    public bool? IgnoreUnfixed { get; init; }

    public Severity? UnknownSeverity { get; init; }

    public IReadOnlyList<string>? CvssSources { get; init; }

    public FindingAction? Secrets { get; init; }

    public FindingAction? Misconfigurations { get; init; }

    public Enforcement? Enforcement { get; init; }

    public ScanFailureAction? OnScanFailure { get; init; }

    public TimeSpan? MaxReportAge { get; init; }

    /// <summary>The <c>quarantine:</c> block; keys it leaves out are inherited like the other settings.</summary>
    public QuarantineOverride? Quarantine { get; init; }

    /// <summary><c>block.epssAtLeast</c>: the block severity rule applies only to findings with at least this EPSS score.</summary>
    public double? BlockEpss { get; init; }

    /// <summary><c>warn.epssAtLeast</c>, as <see cref="BlockEpss"/> for the warn severity rule.</summary>
    public double? WarnEpss { get; init; }

    /// <summary><c>kev: block|warn|ignore</c>: what a finding listed in the KEV catalog does in this scope.</summary>
    public FindingAction? Kev { get; init; }

    /// <summary><c>vex:</c> OpenVEX files (as written in the policy; relative to the policy file) whose statements apply here.</summary>
    public IReadOnlyList<string>? Vex { get; init; }

    /// <summary>The <c>require:</c> block (signatures and attestations that must already be attached). A scope that sets it
    /// replaces the defaults' block as a whole.</summary>
    public RequireRules? Require { get; init; }
}

/// <summary>The settings in force for one artifact after defaults and the matching override are combined.</summary>
/// <param name="BlockSeverity">Block at or above this severity; null = severity never blocks.</param>
/// <param name="BlockCvss">Block at or above this CVSS score; null = no CVSS rule.</param>
/// <param name="UnknownSeverity">The severity an UNKNOWN finding is judged as.</param>
/// <param name="CvssSources">Sources whose CVSS score is used, in order; <c>any</c> = whichever source has one.</param>
public sealed record PolicyRules(
    Severity? BlockSeverity,
    double? BlockCvss,
    Severity? WarnSeverity,
    double? WarnCvss,
    bool IgnoreUnfixed,
    Severity UnknownSeverity,
    IReadOnlyList<string> CvssSources,
    FindingAction Secrets,
    FindingAction Misconfigurations,
    Enforcement Enforcement,
    ScanFailureAction OnScanFailure,
    TimeSpan? MaxReportAge)
{
    public static PolicyRules BuiltIn { get; } = new(
        Severity.Critical, null, Severity.High, null, false, Severity.Unknown, ["nvd", "any"],
        FindingAction.Warn, FindingAction.Warn, Enforcement.Enforce, ScanFailureAction.Hold, null);

    /// <summary>How a blocked artifact is quarantined (strategies, label, quarantine project).</summary>
    public QuarantineSettings Quarantine { get; init; } = QuarantineSettings.Default;

    /// <summary>Signatures and attestations that must be attached before HarborBridge co-signs; none by default.</summary>
    public RequireRules Require { get; init; } = RequireRules.None;

    public PolicyRules With(PolicySettings s) => new(
        s.BlockSeverityOff == true ? null : s.BlockSeverity ?? BlockSeverity,
        s.BlockCvss ?? BlockCvss,
        s.WarnSeverityOff == true ? null : s.WarnSeverity ?? WarnSeverity,
        s.WarnCvss ?? WarnCvss,
        s.IgnoreUnfixed ?? IgnoreUnfixed,
        s.UnknownSeverity ?? UnknownSeverity,
        s.CvssSources ?? CvssSources,
        s.Secrets ?? Secrets,
        s.Misconfigurations ?? Misconfigurations,
        s.Enforcement ?? Enforcement,
        s.OnScanFailure ?? OnScanFailure,
        s.MaxReportAge ?? MaxReportAge)
    {
        Quarantine = Quarantine.With(s.Quarantine),
        BlockEpss = s.BlockSeverityOff == true ? null : s.BlockSeverity is not null ? s.BlockEpss : s.BlockEpss ?? BlockEpss,
        WarnEpss = s.WarnSeverityOff == true ? null : s.WarnSeverity is not null ? s.WarnEpss : s.WarnEpss ?? WarnEpss,
        Kev = s.Kev ?? Kev,
        VexFiles = s.Vex ?? VexFiles,
        Require = s.Require ?? Require,
    };

    /// <summary>The block severity rule applies only to findings whose EPSS score is at least this; null = no EPSS condition.</summary>
    public double? BlockEpss { get; init; }

    /// <summary>As <see cref="BlockEpss"/> for the warn severity rule.</summary>
    public double? WarnEpss { get; init; }

    /// <summary>What a KEV-listed finding does; null = as the top-level <c>kev.block</c> says.</summary>
    public FindingAction? Kev { get; init; }

    /// <summary>The OpenVEX files whose statements apply (paths as written in the policy).</summary>
    public IReadOnlyList<string> VexFiles { get; init; } = [];
}

/// <summary>A <c>projects[]</c> entry: settings for artifacts whose project and repository match.</summary>
public sealed record ProjectOverride(
    [property: JsonConverter(typeof(GlobJsonConverter))] Glob Project,
    [property: JsonConverter(typeof(GlobJsonConverter))] Glob Repository,
    PolicySettings Settings)
{
    [JsonIgnore]
    public int Line { get; init; }
}

/// <summary>An <c>exceptions[]</c> entry: waives findings by vulnerability id, package name or PURL, within a scope.</summary>
/// <param name="Expires">Last day (UTC) on which it applies; null = never expires.</param>
public sealed record PolicyExceptionRule(
    string Id,
    [property: JsonConverter(typeof(GlobJsonConverter))] Glob? Project,
    [property: JsonConverter(typeof(GlobJsonConverter))] Glob? Repository,
    string? Digest,
    DateOnly? Expires,
    string Reason,
    string? Owner,
    string? Ticket)
{
    [JsonIgnore]
    public int Line { get; init; }

    /// <summary>True once the whole of the <see cref="Expires"/> day (UTC) has passed.</summary>
    public bool IsExpired(DateTimeOffset now) =>
        Expires is { } day && now.UtcDateTime >= day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>True when the artifact is within this exception's scope (project, repository and digest, as set).</summary>
    public bool Covers(HarborBridge.Contracts.ArtifactRef artifact) =>
        (Project?.IsMatch(artifact.Project) ?? true) &&
        (Repository?.IsMatch(artifact.Repository) ?? true) &&
        (Digest is null || string.Equals(Digest, artifact.Digest, StringComparison.OrdinalIgnoreCase));

    public string Scope =>
        Project is null && Repository is null && Digest is null
            ? "global"
            : string.Join(" ", new[]
            {
                Project is null ? null : $"project={Project.Pattern}",
                Repository is null ? null : $"repository={Repository.Pattern}",
                Digest is null ? null : $"digest={Digest}",
            }.Where(x => x is not null));
}

/// <summary>A loaded, validated policy file.</summary>
/// <param name="KevFile">Path of a CISA KEV JSON file named by <c>kev.file</c> (relative paths are relative to the
/// policy file); the caller loads it with <see cref="KevCatalog.Parse"/>.</param>
/// <param name="KevBlocks">True (default) when a finding listed in the KEV catalog blocks whatever its severity.</param>
public sealed record PolicyDocument(
    int Version,
    PolicySettings Defaults,
    IReadOnlyList<ProjectOverride> Projects,
    IReadOnlyList<PolicyExceptionRule> Exceptions,
    string? KevFile,
    bool KevBlocks)
{
    /// <summary><c>sha256:&lt;hex&gt;</c> of the normalised policy: comments, whitespace, key order and
    /// quoting in the YAML do not change it; any change of meaning does.</summary>
    [JsonIgnore]
    public string PolicyVersion { get; init; } = "";

    /// <summary>Path of FIRST's EPSS CSV named by <c>epss.file</c> (relative paths are relative to the policy file).</summary>
    public string? EpssFile { get; init; }

    /// <summary>Every OpenVEX file any scope names, once each, as written in the policy.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> VexFiles =>
        new[] { Defaults.Vex ?? [] }.Concat(Projects.Select(p => p.Settings.Vex ?? [])).SelectMany(x => x).Distinct(StringComparer.Ordinal).ToList();

    /// <summary><c>exceptionRequests.maxDays</c>: the longest an exception granted from a request may last; null when the
    /// policy does not say (then <see cref="ExceptionRequestRules.DefaultMaxDays"/> applies).</summary>
    public int? ExceptionRequestMaxDays { get; init; }

    /// <summary>The longest an exception granted from a request may last, in days.</summary>
    [JsonIgnore]
    public int ExceptionRequestMaxDaysInForce => ExceptionRequestMaxDays ?? ExceptionRequestRules.DefaultMaxDays;

    /// <summary>The same policy with <paramref name="granted"/> (exceptions approved from requests, kept in the database)
    /// after the file's own. Its version covers them too: an approved (or expired) exception is a change of policy, so the
    /// life cycle releases a quarantined artifact that passes under it as it does after an edit of the file.</summary>
    public PolicyDocument WithGrantedExceptions(IReadOnlyList<PolicyExceptionRule> granted)
    {
        if (granted.Count == 0)
        {
            return this;
        }

        var text = string.Join('\n', granted.Select(e => $"{e.Id}|{e.Scope}|{e.Expires:yyyy-MM-dd}|{e.Owner}|{e.Ticket}").Order(StringComparer.Ordinal));
        return this with { Exceptions = [.. Exceptions, .. granted], PolicyVersion = VersionCovering(text) };
    }

    /// <summary>The same policy with a version that also covers the contents of its VEX documents (path and digest of each).
    /// A statement added or withdrawn is a change of policy like an edit of the file: the VEX-changes job re-evaluates the
    /// artifacts it names, and the life cycle releases a quarantined one that passes now (or puts an approved one at risk).
    /// EPSS and KEV files are not covered: they change daily for every artifact and act through rescans.</summary>
    public PolicyDocument WithVexContents(IReadOnlyDictionary<string, VexDocument>? vex)
    {
        if (vex is not { Count: > 0 })
        {
            return this;
        }

        var text = string.Join('\n', vex.Select(d => $"{d.Key}|{d.Value.Digest}").Order(StringComparer.Ordinal));
        return this with { PolicyVersion = VersionCovering("vex\n" + text) };
    }

    /// <summary>A version that covers this policy's version and <paramref name="part"/> (what joins the file's policy).</summary>
    private string VersionCovering(string part) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(PolicyVersion + "\n" + part)));

    /// <summary>The <c>rescan:</c> section; null when the policy has none (then <see cref="RescanRules.BuiltIn"/> applies).</summary>
    public RescanRules? Rescan { get; init; }

    /// <summary>The same policy with the key and trusted-root paths of every <c>require</c> block made absolute against
    /// <paramref name="directory"/> (the policy file's folder). The policy version is unchanged.</summary>
    public PolicyDocument WithPathsRelativeTo(string directory) => this with
    {
        Defaults = Defaults with { Require = Defaults.Require?.RelativeTo(directory) },
        Projects = Projects.Select(p => p with { Settings = p.Settings with { Require = p.Settings.Require?.RelativeTo(directory) } }).ToList(),
    };

    /// <summary>The rescan rules in force.</summary>
    [JsonIgnore]
    public RescanRules RescanRulesInForce => Rescan ?? RescanRules.BuiltIn;

    /// <summary>The rules for one artifact: the first <c>projects[]</c> entry that matches wins, unset keys come
    /// from the defaults. Returns a description of where the rules came from.</summary>
    public (PolicyRules Rules, string Source) Resolve(string project, string repository)
    {
        var rules = PolicyRules.BuiltIn.With(Defaults);
        for (var i = 0; i < Projects.Count; i++)
        {
            var candidate = Projects[i];
            if (candidate.Project.IsMatch(project) && candidate.Repository.IsMatch(repository))
            {
                return (rules.With(candidate.Settings),
                    $"projects[{i}] (project \"{candidate.Project.Pattern}\", repository \"{candidate.Repository.Pattern}\")");
            }
        }

        return (rules, "defaults");
    }
}
