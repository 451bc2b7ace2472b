using HarborBridge.Contracts;
using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Policy;

public enum Verdict
{
    Pass,
    Warn,
    Block,
}

/// <summary>What the policy made of one finding.</summary>
public enum FindingOutcome
{
    /// <summary>Causes a block verdict.</summary>
    Block,

    /// <summary>Causes at least a warn verdict.</summary>
    Warn,

    /// <summary>Below the thresholds: reported, no effect.</summary>
    Pass,

    /// <summary>Waived by an active policy exception.</summary>
    Excepted,

    /// <summary>Out of the policy's view: unfixed with <c>ignoreUnfixed</c>, not affected, a passed check, or a class set to ignore.</summary>
    Ignored,
}

/// <summary>One finding (after deduplication) and what the policy made of it.</summary>
/// <param name="Targets">Every place in the report it was found (deduplicated findings are listed once).</param>
/// <param name="Rule">The rule that decided it, e.g. <c>block.severity: CRITICAL &gt;= CRITICAL</c>.</param>
/// <param name="Cvss">The CVSS score the policy used and its source, when one was found.</param>
public sealed record JudgedFinding(
    Finding Finding,
    IReadOnlyList<string> Targets,
    FindingOutcome Outcome,
    string Rule,
    bool KnownExploited,
    double? Cvss,
    string? CvssSource,
    string? ExceptionId)
{
    /// <summary>The EPSS score of the finding's CVE, when an EPSS file is loaded and lists it.</summary>
    public EpssScore? Epss { get; init; }

    /// <summary>The VEX statement in force for this finding (any status), when one applies.</summary>
    public VexUse? Vex { get; init; }
}

/// <summary>A VEX statement that applied to findings of this artifact.</summary>
/// <param name="Source">The file it was read from.</param>
/// <param name="DocumentId">The document's <c>@id</c>.</param>
/// <param name="DocumentDigest"><c>sha256:</c> of the document as read.</param>
/// <param name="Statement">Position in the document's <c>statements</c>.</param>
/// <param name="Findings">The findings it applied to, as <c>id package@version</c>.</param>
public sealed record VexUse(
    string Source,
    string DocumentId,
    string? Author,
    string DocumentDigest,
    int Statement,
    string Vulnerability,
    string Status,
    string? Justification,
    string? ImpactStatement,
    DateTimeOffset? Timestamp,
    IReadOnlyList<string> Findings)
{
    /// <summary>True when it took the findings out of the verdict (<c>not_affected</c> or <c>fixed</c>).</summary>
    public bool Suppresses => Status is "not_affected" or "fixed";

    /// <summary>One line for explanations: status, justification, impact statement and where it came from.</summary>
    public string Describe() =>
        $"{Status}{(Justification is null ? "" : $" ({Justification})")}{(ImpactStatement is null ? "" : $": {ImpactStatement}")} " +
        $"[{Source} statements[{Statement}]{(Author is null ? "" : $", author {Author}")}]";
}

/// <summary>What a decision reads besides the report and the policy: the KEV catalog, EPSS scores and the OpenVEX
/// documents the policy names (keyed by the path as written in the policy).</summary>
public sealed record PolicyInputs(KevCatalog? Kev = null, EpssScores? Epss = null, IReadOnlyDictionary<string, VexDocument>? Vex = null)
{
    public static PolicyInputs None { get; } = new();
}

/// <summary>A policy exception that matched findings of this artifact (applied, or expired and therefore not applied).</summary>
/// <param name="Findings">The findings it matched, as <c>id package@version</c>.</param>
public sealed record ExceptionUse(PolicyExceptionRule Exception, IReadOnlyList<string> Findings);

/// <summary>The policy's decision for one artifact and report, with everything needed to explain and audit it.</summary>
/// <param name="Enforced">False in dry-run: the verdict is recorded, but nothing is blocked.</param>
/// <param name="RuleSource">Which part of the policy applied: <c>defaults</c> or <c>projects[i] (…)</c>.</param>
/// <param name="ReportRule">A report-level reason that decided the verdict (no report, report too old), if any.</param>
public sealed record Decision(
    ArtifactRef Artifact,
    Verdict Verdict,
    bool Enforced,
    Enforcement Enforcement,
    string RuleSource,
    string? ReportRule,
    string PolicyVersion,
    string ReportDigest,
    ReportFormat ReportFormat,
    string? Scanner,
    DateTimeOffset? ReportCreatedAt,
    string? KevCatalogVersion,
    DateTimeOffset EvaluatedAt,
    IReadOnlyList<JudgedFinding> Findings,
    IReadOnlyList<ExceptionUse> AppliedExceptions,
    IReadOnlyList<ExceptionUse> ExpiredExceptions,
    IReadOnlyList<string> Notes)
{
    /// <summary>The VEX statements that applied (every status), each with the findings it applied to.</summary>
    public IReadOnlyList<VexUse> VexStatements { get; init; } = [];

    /// <summary>The score date of the EPSS file used, when the policy uses one.</summary>
    public DateTimeOffset? EpssScoreDate { get; init; }

    /// <summary>The policy's <c>require</c> entries and whether the signatures and attestations attached met them.</summary>
    public IReadOnlyList<RequirementResult> Requirements { get; init; } = [];

    public IEnumerable<RequirementResult> UnmetRequirements => Requirements.Where(r => !r.Met);

    public IEnumerable<JudgedFinding> Blocking => Findings.Where(f => f.Outcome == FindingOutcome.Block);

    public IEnumerable<JudgedFinding> Warnings => Findings.Where(f => f.Outcome == FindingOutcome.Warn);

    public int Count(FindingOutcome outcome) => Findings.Count(f => f.Outcome == outcome);
}
