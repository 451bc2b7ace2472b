using System.Globalization;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Policy;

/// <summary>
/// Judges a scan report against a policy. A pure function: the same artifact, report, policy, KEV catalog and
/// time always give the same decision. The verdict is computed from the findings, never from a report-level severity.
/// </summary>
public static class PolicyEvaluator
{
    public static Decision Evaluate(ArtifactRef artifact, ScanReport report, PolicyDocument policy, KevCatalog? kev, DateTimeOffset now,
        UpstreamEvidence? upstream = null) =>
        Evaluate(artifact, report, policy, now, new PolicyInputs(kev), upstream);

    /// <summary>Judges with every input the policy may use: the KEV catalog, EPSS scores and OpenVEX documents.</summary>
    /// <param name="upstream">The signatures and attestations found attached to the artifact, judged against the scope's
    /// <c>require</c> rules; null when they were not gathered (then every requirement is unmet: nothing was checked).</param>
    public static Decision Evaluate(ArtifactRef artifact, ScanReport report, PolicyDocument policy, DateTimeOffset now, PolicyInputs inputs,
        UpstreamEvidence? upstream = null)
    {
        var kev = inputs.Kev;
        var (rules, source) = policy.Resolve(artifact.Project, artifact.Repository);
        var notes = new List<string>();
        var verdict = Verdict.Pass;
        string? reportRule = null;

        if (!report.HasReport)
        {
            verdict = rules.OnScanFailure == ScanFailureAction.Allow ? Verdict.Warn : Verdict.Block;
            reportRule = $"no scan report for this artifact (Harbor returned {{}}); onScanFailure: {rules.OnScanFailure.ToString().ToLowerInvariant()}";
        }
        else if (rules.MaxReportAge is { } maxAge)
        {
            if (report.CreatedAt is not { } created)
            {
                notes.Add("The report has no creation time, so maxReportAge was not checked.");
            }
            else if (now - created > maxAge)
            {
                verdict = Verdict.Block;
                reportRule = $"the report is older than maxReportAge ({FormatAge(maxAge)}): created {created.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}; rescan";
            }
        }

        var kevAction = rules.Kev ?? (policy.KevBlocks ? FindingAction.Block : FindingAction.Ignore);
        if (policy.KevFile is not null && kevAction != FindingAction.Ignore && kev is null)
        {
            notes.Add("The policy names a KEV file but no KEV catalog was given; KEV was not checked.");
        }

        var epss = inputs.Epss;
        if ((rules.BlockEpss is not null || rules.WarnEpss is not null) && epss is null)
        {
            notes.Add("The policy has epssAtLeast rules but no EPSS scores were given; the severity rules applied without the EPSS condition.");
        }

        var vexDocuments = new List<VexDocument>();
        foreach (var file in rules.VexFiles)
        {
            if (inputs.Vex?.GetValueOrDefault(file) is { } vexDocument)
            {
                vexDocuments.Add(vexDocument);
            }
            else
            {
                notes.Add($"The VEX file {file} was not loaded; its statements were not applied.");
            }
        }

        var activeKev = kevAction == FindingAction.Ignore ? null : kev;
        var exceptions = policy.Exceptions.Where(e => InScope(e, artifact)).ToList();
        var applied = new Dictionary<PolicyExceptionRule, List<string>>();
        var expired = new Dictionary<PolicyExceptionRule, List<string>>();
        var judged = new List<JudgedFinding>(report.Findings.Count);
        var vexUses = new Dictionary<(VexDocument, VexStatement), List<string>>();
        var judge = new Judge(rules, activeKev, kevAction, exceptions, now, applied, expired)
        {
            Artifact = artifact,
            Epss = epss,
            VexDocuments = vexDocuments,
            VexUses = vexUses,
        };
        foreach (var (finding, targets) in Deduplicate(report.Findings))
        {
            var result = judge.Finding(finding, targets);
            judged.Add(result);
            verdict = Max(verdict, result.Outcome switch
            {
                FindingOutcome.Block => Verdict.Block,
                FindingOutcome.Warn => Verdict.Warn,
                _ => Verdict.Pass,
            });
        }

        var requirements = rules.Require.IsEmpty
            ? []
            : RequirementEvaluator.Evaluate(rules.Require, upstream ?? UpstreamEvidence.Unavailable("the attached signatures were not checked"));
        foreach (var unmet in requirements.Where(r => !r.Met))
        {
            verdict = Max(verdict, unmet.Action == RequirementAction.Block ? Verdict.Block : Verdict.Warn);
        }

        return new Decision(artifact, verdict, rules.Enforcement == Enforcement.Enforce, rules.Enforcement, source, reportRule,
            policy.PolicyVersion, report.Digest, report.Format, report.Scanner, report.CreatedAt, activeKev?.Version, now, judged,
            applied.Select(p => new ExceptionUse(p.Key, p.Value)).ToList(),
            expired.Select(p => new ExceptionUse(p.Key, p.Value)).ToList(),
            notes)
        {
            VexStatements = vexUses.Select(p => ToUse(p.Key.Item1, p.Key.Item2, p.Value)).ToList(),
            EpssScoreDate = epss?.ScoreDate,
            Requirements = requirements,
        };
    }

    private static VexUse ToUse(VexDocument document, VexStatement statement, IReadOnlyList<string> findings) => new(
        document.Source, document.Id, document.Author, document.Digest, statement.Index, statement.Vulnerability, statement.Status,
        statement.Justification, statement.ImpactStatement, statement.Timestamp, findings);

    /// <summary>A vulnerability in the same package version is one finding however many targets (layers, lock files,
    /// platform manifests) report it; secrets and checks stay per target.</summary>
    private static List<(Finding Finding, List<string> Targets)> Deduplicate(IReadOnlyList<Finding> findings)
    {
        var byKey = new Dictionary<(FindingClass, string, string, string), int>(findings.Count);
        var list = new List<(Finding Finding, List<string> Targets)>();
        foreach (var finding in findings)
        {
            var key = finding.Class == FindingClass.Vulnerability
                ? (finding.Class, finding.Id, finding.PackageName, finding.InstalledVersion)
                : (finding.Class, finding.Id, finding.Target, "");
            if (byKey.TryGetValue(key, out var index))
            {
                var (kept, targets) = list[index];
                if (!targets.Contains(finding.Target))
                {
                    targets.Add(finding.Target);
                }

                // Sources can rate the same vulnerability differently per target; judge by the worst.
                if (finding.Severity > kept.Severity)
                {
                    list[index] = (finding, targets);
                }
            }
            else
            {
                byKey[key] = list.Count;
                list.Add((finding, [finding.Target]));
            }
        }

        return list;
    }

    /// <summary>Judges the findings of one evaluation. The rule texts depend only on severities and thresholds, so each
    /// distinct text is built once per evaluation rather than once per finding.</summary>
    private sealed class Judge(
        PolicyRules rules,
        KevCatalog? kev,
        FindingAction kevAction,
        List<PolicyExceptionRule> exceptions,
        DateTimeOffset now,
        Dictionary<PolicyExceptionRule, List<string>> applied,
        Dictionary<PolicyExceptionRule, List<string>> expired)
    {
        private readonly Dictionary<(string Rule, Severity Found, Severity Judged, Severity Threshold), string> _severityRules = [];

        public required ArtifactRef Artifact { get; init; }

        public required EpssScores? Epss { get; init; }

        public required List<VexDocument> VexDocuments { get; init; }

        public required Dictionary<(VexDocument, VexStatement), List<string>> VexUses { get; init; }

        public JudgedFinding Finding(Finding finding, List<string> targets)
        {
            var knownExploited = finding.Class == FindingClass.Vulnerability && kev is not null && kev.Contains(finding.Id);
            var (cvss, cvssSource) = PickCvss(finding, rules.CvssSources);
            var epss = finding.Class == FindingClass.Vulnerability ? Epss?.Find(finding.Id) : null;
            var vex = Vex(finding);
            var (outcome, rule, exceptionId) = Outcome(finding, knownExploited, cvss, cvssSource, epss, vex);
            return new JudgedFinding(finding, targets, outcome, rule, knownExploited, cvss, cvssSource, exceptionId) { Epss = epss, Vex = vex };
        }

        /// <summary>The statement in force across the scope's VEX documents (the latest; on a tie the document listed first).</summary>
        private VexUse? Vex(Finding finding)
        {
            (VexDocument Document, VexStatement Statement)? best = null;
            foreach (var document in VexDocuments)
            {
                if (document.Find(Artifact, finding) is { } statement &&
                    (best is null || (statement.Timestamp ?? DateTimeOffset.MinValue) > (best.Value.Statement.Timestamp ?? DateTimeOffset.MinValue)))
                {
                    best = (document, statement);
                }
            }

            if (best is not { } found)
            {
                return null;
            }

            if (!VexUses.TryGetValue(found, out var labels))
            {
                VexUses[found] = labels = [];
            }

            labels.Add(Label(finding));
            return ToUse(found.Document, found.Statement, labels);
        }

        private (FindingOutcome Outcome, string Rule, string? ExceptionId) Outcome(Finding finding, bool knownExploited, double? cvss, string? cvssSource,
            EpssScore? epss, VexUse? vex)
        {
            if (IgnoredBecause(finding, rules, knownExploited) is { } ignored)
            {
                return (FindingOutcome.Ignored, ignored, null);
            }

            if (vex is { Suppresses: true })
            {
                return (FindingOutcome.Ignored, $"vex: {vex.Describe()}", null);
            }

            foreach (var exception in exceptions)
            {
                if (!Matches(exception, finding))
                {
                    continue;
                }

                var label = Label(finding);
                if (exception.IsExpired(now))
                {
                    AddTo(expired, exception, label);
                    continue;
                }

                AddTo(applied, exception, label);
                return (FindingOutcome.Excepted, $"exception {exception.Id} (policy line {exception.Line}): {exception.Reason}", exception.Id);
            }

            switch (finding.Class)
            {
                case FindingClass.Secret:
                    return (ToOutcome(rules.Secrets), $"secrets: {rules.Secrets.ToString().ToLowerInvariant()}", null);
                case FindingClass.Misconfiguration:
                    return (ToOutcome(rules.Misconfigurations), $"misconfigurations: {rules.Misconfigurations.ToString().ToLowerInvariant()}", null);
            }

            if (knownExploited && kevAction == FindingAction.Block)
            {
                return (FindingOutcome.Block, "kev: listed in CISA Known Exploited Vulnerabilities", null);
            }

            var severity = finding.Severity == Severity.Unknown ? rules.UnknownSeverity : finding.Severity;
            if (rules.BlockSeverity is { } blockAt && severity >= blockAt && EpssMet(rules.BlockEpss, epss))
            {
                return (FindingOutcome.Block, SeverityRule("block.severity", finding.Severity, severity, blockAt) + EpssRule(rules.BlockEpss, epss), null);
            }

            if (rules.BlockCvss is { } blockScore && cvss >= blockScore)
            {
                return (FindingOutcome.Block, $"block.cvss: {cvssSource} {Score(cvss.Value)} >= {Score(blockScore)}", null);
            }

            if (knownExploited && kevAction == FindingAction.Warn)
            {
                return (FindingOutcome.Warn, "kev: listed in CISA Known Exploited Vulnerabilities (kev: warn)", null);
            }

            if (rules.WarnSeverity is { } warnAt && severity >= warnAt && EpssMet(rules.WarnEpss, epss))
            {
                return (FindingOutcome.Warn, SeverityRule("warn.severity", finding.Severity, severity, warnAt) + EpssRule(rules.WarnEpss, epss), null);
            }

            if (rules.WarnCvss is { } warnScore && cvss >= warnScore)
            {
                return (FindingOutcome.Warn, $"warn.cvss: {cvssSource} {Score(cvss.Value)} >= {Score(warnScore)}", null);
            }

            return (FindingOutcome.Pass, "below the warn and block thresholds", null);
        }

        /// <summary>No EPSS condition, or the score meets it. Without any EPSS scores loaded the condition is not checked
        /// (the decision notes it), so a missing file never lets a finding through.</summary>
        private bool EpssMet(double? atLeast, EpssScore? score) => atLeast is not { } threshold || Epss is null || score?.Probability >= threshold;

        private string EpssRule(double? atLeast, EpssScore? score) => atLeast is not { } threshold
            ? ""
            : Epss is null
                ? ", epssAtLeast not checked (no EPSS scores)"
                : $", epss {Probability(score!.Value.Probability)} >= {Probability(threshold)} (EPSS {Epss.DateText})";

        private string SeverityRule(string rule, Severity found, Severity judged, Severity threshold)
        {
            if (!_severityRules.TryGetValue((rule, found, judged, threshold), out var text))
            {
                var severityText = found == judged ? judged.ToWord() : $"{found.ToWord()} (judged as {judged.ToWord()})";
                text = $"{rule}: {severityText} >= {threshold.ToWord()}";
                _severityRules.Add((rule, found, judged, threshold), text);
            }

            return text;
        }
    }

    private static string? IgnoredBecause(Finding finding, PolicyRules rules, bool knownExploited) => finding.Class switch
    {
        FindingClass.Vulnerability when finding.Status == "not_affected" => "status not_affected",
        FindingClass.Vulnerability when rules.IgnoreUnfixed && !finding.HasFix && !knownExploited => "ignoreUnfixed: no fixed version",
        FindingClass.Secret when rules.Secrets == FindingAction.Ignore => "secrets: ignore",
        FindingClass.Misconfiguration when finding.Status is not "fail" => $"check status {finding.Status}",
        FindingClass.Misconfiguration when rules.Misconfigurations == FindingAction.Ignore => "misconfigurations: ignore",
        _ => null,
    };

    private static FindingOutcome ToOutcome(FindingAction action) => action switch
    {
        FindingAction.Block => FindingOutcome.Block,
        FindingAction.Warn => FindingOutcome.Warn,
        _ => FindingOutcome.Ignored,
    };

    private static (double? Score, string? Source) PickCvss(Finding finding, IReadOnlyList<string> sources)
    {
        foreach (var source in sources)
        {
            foreach (var score in finding.Cvss)
            {
                if ((source == "any" || score.Source == source) && (score.V3Score ?? score.V40Score ?? score.V2Score) is { } value)
                {
                    var version = score.V3Score is not null ? "v3" : score.V40Score is not null ? "v4.0" : "v2";
                    return (value, $"{score.Source} {version}");
                }
            }
        }

        return (null, null);
    }

    private static bool InScope(PolicyExceptionRule exception, ArtifactRef artifact) => exception.Covers(artifact);

    /// <summary>An exception id names a vulnerability or check id, a package name, or a package URL (<c>pkg:…</c>).</summary>
    public static bool Matches(PolicyExceptionRule exception, Finding finding)
    {
        if (exception.Id.StartsWith("pkg:", StringComparison.OrdinalIgnoreCase))
        {
            return finding.Purl is not null && Purl.Matches(exception.Id, finding.Purl);
        }

        return string.Equals(exception.Id, finding.Id, StringComparison.OrdinalIgnoreCase) ||
               (finding.PackageName.Length > 0 && string.Equals(exception.Id, finding.PackageName, StringComparison.Ordinal));
    }

    public static string Label(Finding finding) => finding.Class == FindingClass.Vulnerability
        ? $"{finding.Id} {finding.PackageName}@{finding.InstalledVersion}"
        : $"{finding.Id} {finding.Target}";

    private static void AddTo(Dictionary<PolicyExceptionRule, List<string>> map, PolicyExceptionRule key, string label)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(label);
    }

    private static Verdict Max(Verdict a, Verdict b) => a > b ? a : b;

    private static string Probability(double value) => value.ToString("0.#####", CultureInfo.InvariantCulture);

    private static string Score(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string FormatAge(TimeSpan age) =>
        age.TotalDays >= 1 && age.TotalDays == Math.Floor(age.TotalDays) ? $"{age.TotalDays:0}d"
        : age.TotalHours == Math.Floor(age.TotalHours) ? $"{age.TotalHours:0}h"
        : $"{age.TotalMinutes:0}m";
}
