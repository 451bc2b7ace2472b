using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Policy;

/// <summary>Renders a <see cref="Decision"/> for people (text: what to fix) and for tools (JSON, SARIF 2.1.0).</summary>
public static class DecisionRenderer
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string VerdictWord(Verdict verdict) => verdict.ToString().ToUpperInvariant();

    public static string ToText(Decision decision)
    {
        var text = new StringBuilder();
        var enforcement = decision.Enforced ? "" : " (dry run: recorded, not enforced)";
        var artifact = decision.Artifact.Digest.Length > 0 ? decision.Artifact.ToString() : $"{decision.Artifact.FullRepository} (no digest given)";
        text.Append(CultureInfo.InvariantCulture, $"{VerdictWord(decision.Verdict)}{enforcement}: {artifact}\n");
        text.Append(CultureInfo.InvariantCulture, $"Policy {decision.PolicyVersion}, rules from {decision.RuleSource}\n");
        text.Append(CultureInfo.InvariantCulture, $"Report {decision.ReportDigest} ({Describe(decision)})\n");
        if (decision.ReportRule is { } reportRule)
        {
            text.Append(CultureInfo.InvariantCulture, $"Report rule: {reportRule}\n");
        }

        if (decision.Requirements.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nRequired signatures and attestations ({decision.Requirements.Count(r => r.Met)} of {decision.Requirements.Count} met):\n");
            foreach (var r in decision.Requirements)
            {
                var state = r.Met ? "met" : $"NOT MET ({r.Action.ToString().ToLowerInvariant()})";
                text.Append(CultureInfo.InvariantCulture, $"  {r.Requirement} {state}: expected {r.Expected}\n    found: {r.Found}\n");
            }
        }

        Section(text, decision, "Blocking findings, fix these", decision.Blocking.ToList());
        Section(text, decision, "Warnings", decision.Warnings.ToList());
        VexSection(text, decision.VexStatements);
        Exceptions(text, "Exceptions applied", decision.AppliedExceptions);
        Exceptions(text, "Expired exceptions (no longer applied)", decision.ExpiredExceptions);
        foreach (var note in decision.Notes)
        {
            text.Append(CultureInfo.InvariantCulture, $"Note: {note}\n");
        }

        text.Append(CultureInfo.InvariantCulture,
            $"\n{decision.Count(FindingOutcome.Block)} blocking, {decision.Count(FindingOutcome.Warn)} warning, " +
            $"{decision.Count(FindingOutcome.Excepted)} excepted, {decision.Count(FindingOutcome.Pass)} below thresholds, " +
            $"{decision.Count(FindingOutcome.Ignored)} ignored.\n");
        return text.ToString();
    }

    private static string Describe(Decision decision)
    {
        var parts = new List<string> { decision.ReportFormat.ToString() };
        if (decision.Scanner is not null)
        {
            parts.Add(decision.Scanner);
        }

        if (decision.ReportCreatedAt is { } created)
        {
            parts.Add("created " + created.UtcDateTime.ToString("u", CultureInfo.InvariantCulture));
        }

        if (decision.KevCatalogVersion is not null)
        {
            parts.Add("KEV catalog " + decision.KevCatalogVersion);
        }

        return string.Join(", ", parts);
    }

    private static void Section(StringBuilder text, Decision decision, string title, List<JudgedFinding> findings)
    {
        if (findings.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"\n{title} ({findings.Count}):\n");
        foreach (var judged in findings)
        {
            var f = judged.Finding;
            var what = f.Class switch
            {
                FindingClass.Vulnerability =>
                    $"{f.PackageName} {f.InstalledVersion} -> {(f.HasFix ? string.Join(", ", f.FixedVersions) : "no fixed version yet")}",
                FindingClass.Secret => $"secret in {f.Target}",
                _ => $"misconfiguration in {f.Target}",
            };
            text.Append(CultureInfo.InvariantCulture, $"  {f.Id}  {f.Severity.ToWord()}  {what}\n");
            if (f.Title is { Length: > 0 } title2)
            {
                text.Append(CultureInfo.InvariantCulture, $"      {title2}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"      rule: {judged.Rule}\n");
            if (judged.Epss is { } epss)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"      EPSS {epss.Probability.ToString("0.#####", CultureInfo.InvariantCulture)} (percentile {epss.Percentile.ToString("0.#####", CultureInfo.InvariantCulture)}, scores of {EpssDate(decision)})\n");
            }

            if (judged.Vex is { } vex)
            {
                text.Append(CultureInfo.InvariantCulture, $"      VEX: {vex.Describe()} (does not change the verdict)\n");
            }

            if (f.PrimaryUrl is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"      {f.PrimaryUrl}\n");
            }
        }
    }

    private static string EpssDate(Decision decision) =>
        decision.EpssScoreDate?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "an undated file";

    private static void VexSection(StringBuilder text, IReadOnlyList<VexUse> uses)
    {
        var suppressing = uses.Where(u => u.Suppresses).ToList();
        if (suppressing.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"\nNot counted because of VEX statements ({suppressing.Count}):\n");
        foreach (var use in suppressing)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {use.Vulnerability}: {use.Describe()}\n");
            text.Append(CultureInfo.InvariantCulture, $"      matches {string.Join("; ", use.Findings)}\n");
        }
    }

    private static void Exceptions(StringBuilder text, string title, IReadOnlyList<ExceptionUse> uses)
    {
        if (uses.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"\n{title} ({uses.Count}):\n");
        foreach (var use in uses)
        {
            var e = use.Exception;
            var expires = e.Expires is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "never";
            text.Append(CultureInfo.InvariantCulture,
                $"  {e.Id} ({(e.Line > 0 ? $"policy line {e.Line}" : "approved exception request")}, scope {e.Scope}, expires {expires}{(e.Owner is null ? "" : ", owner " + e.Owner)}" +
                $"{(e.Ticket is null ? "" : ", ticket " + e.Ticket)}): {e.Reason}\n");
            text.Append(CultureInfo.InvariantCulture, $"      matches {string.Join("; ", use.Findings)}\n");
        }
    }

    public static string ToJson(Decision decision)
    {
        var document = new
        {
            verdict = decision.Verdict,
            enforced = decision.Enforced,
            enforcement = decision.Enforcement,
            artifact = new { project = decision.Artifact.Project, repository = decision.Artifact.Repository, digest = decision.Artifact.Digest },
            ruleSource = decision.RuleSource,
            reportRule = decision.ReportRule,
            policyVersion = decision.PolicyVersion,
            reportDigest = decision.ReportDigest,
            reportFormat = decision.ReportFormat,
            scanner = decision.Scanner,
            reportCreatedAt = decision.ReportCreatedAt,
            kevCatalogVersion = decision.KevCatalogVersion,
            evaluatedAt = decision.EvaluatedAt,
            counts = Enum.GetValues<FindingOutcome>().ToDictionary(o => JsonNamingPolicy.CamelCase.ConvertName(o.ToString()), decision.Count),
            findings = decision.Findings.Select(j => new
            {
                outcome = j.Outcome,
                rule = j.Rule,
                @class = j.Finding.Class,
                id = j.Finding.Id,
                severity = j.Finding.Severity.ToWord(),
                package = NullIfEmpty(j.Finding.PackageName),
                packageId = j.Finding.PackageId,
                purl = j.Finding.Purl,
                installedVersion = NullIfEmpty(j.Finding.InstalledVersion),
                fixedVersions = j.Finding.FixedVersions,
                status = j.Finding.Status,
                cvss = j.Cvss,
                cvssSource = j.CvssSource,
                knownExploited = j.KnownExploited,
                title = j.Finding.Title,
                link = j.Finding.PrimaryUrl,
                targets = j.Targets,
                exception = j.ExceptionId,
                epss = j.Epss is { } e ? new { probability = e.Probability, percentile = e.Percentile } : null,
                vex = j.Vex is { } v ? new { status = v.Status, justification = v.Justification, source = v.Source, statement = v.Statement } : null,
            }),
            epssScoreDate = decision.EpssScoreDate,
            vexStatements = decision.VexStatements.Count == 0 ? null : decision.VexStatements.Select(v => new
            {
                source = v.Source,
                documentId = v.DocumentId,
                documentDigest = v.DocumentDigest,
                author = v.Author,
                statement = v.Statement,
                vulnerability = v.Vulnerability,
                status = v.Status,
                justification = v.Justification,
                impactStatement = v.ImpactStatement,
                timestamp = v.Timestamp,
                findings = v.Findings,
            }),
            appliedExceptions = decision.AppliedExceptions.Select(ExceptionJson),
            expiredExceptions = decision.ExpiredExceptions.Select(ExceptionJson),
            requirements = decision.Requirements.Count == 0 ? null : decision.Requirements.Select(r => new
            {
                requirement = r.Requirement,
                met = r.Met,
                action = r.Action,
                expected = r.Expected,
                found = r.Found,
                verified = r.Verified,
            }),
            notes = decision.Notes,
        };
        return JsonSerializer.Serialize(document, JsonOptions);
    }

    private static object ExceptionJson(ExceptionUse use) => new
    {
        id = use.Exception.Id,
        scope = use.Exception.Scope,
        expires = use.Exception.Expires,
        reason = use.Exception.Reason,
        owner = use.Exception.Owner,
        ticket = use.Exception.Ticket,
        policyLine = use.Exception.Line,
        findings = use.Findings,
    };

    /// <summary>SARIF 2.1.0: one rule per finding id, one result per blocking, warning or excepted finding
    /// (excepted ones carry an accepted external suppression). Decision metadata goes into the run's properties.</summary>
    public static string ToSarif(Decision decision, string toolVersion)
    {
        var shown = decision.Findings
            .Where(f => f.Outcome is FindingOutcome.Block or FindingOutcome.Warn or FindingOutcome.Excepted)
            .ToList();
        var ruleIds = shown.Select(f => f.Finding.Id).Distinct(StringComparer.Ordinal).ToList();
        var rules = ruleIds.Select(id =>
        {
            var first = shown.First(f => f.Finding.Id == id);
            var help = AbsoluteUri(first.Finding.PrimaryUrl);
            return new Dictionary<string, object?>
            {
                ["id"] = id,
                ["shortDescription"] = new { text = first.Finding.Title ?? id },
                ["helpUri"] = help,
                ["properties"] = new Dictionary<string, object>
                {
                    ["security-severity"] = SecuritySeverity(first),
                    ["tags"] = new[] { "security", first.Finding.Class.ToString().ToLowerInvariant(), first.Finding.Severity.ToWord() },
                },
            }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
        }).ToList();

        var results = shown.Select(j =>
        {
            var f = j.Finding;
            var result = new Dictionary<string, object>
            {
                ["ruleId"] = f.Id,
                ["ruleIndex"] = ruleIds.IndexOf(f.Id),
                ["level"] = j.Outcome switch
                {
                    FindingOutcome.Block => "error",
                    FindingOutcome.Warn => "warning",
                    _ => "note",
                },
                ["message"] = new { text = ResultMessage(j) },
                ["locations"] = j.Targets.Select(t => new
                {
                    physicalLocation = new
                    {
                        artifactLocation = new { uri = Uri.EscapeDataString(t.Length > 0 ? t : decision.Artifact.ToString()) },
                    },
                }).ToList(),
                ["properties"] = new { outcome = j.Outcome, rule = j.Rule },
            };
            if (j.Outcome == FindingOutcome.Excepted)
            {
                result["suppressions"] = new[] { new { kind = "external", status = "accepted", justification = j.Rule } };
            }

            return result;
        }).ToList();

        var log = new Dictionary<string, object>
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new[]
            {
                new
                {
                    tool = new { driver = new { name = "HarborBridge", version = toolVersion, rules } },
                    results,
                    invocations = new[] { new { executionSuccessful = true } },
                    properties = new
                    {
                        verdict = decision.Verdict,
                        enforced = decision.Enforced,
                        artifact = decision.Artifact.ToString(),
                        policyVersion = decision.PolicyVersion,
                        reportDigest = decision.ReportDigest,
                        ruleSource = decision.RuleSource,
                        reportRule = decision.ReportRule,
                    },
                },
            },
        };
        return JsonSerializer.Serialize(log, JsonOptions);
    }

    private static string ResultMessage(JudgedFinding j)
    {
        var f = j.Finding;
        if (f.Class != FindingClass.Vulnerability)
        {
            return $"{f.Title ?? f.Id} ({f.Severity.ToWord()}) in {f.Target}. Rule: {j.Rule}.";
        }

        var fix = f.HasFix ? $"upgrade to {string.Join(" or ", f.FixedVersions)}" : "no fixed version yet";
        return $"{f.Id} ({f.Severity.ToWord()}) in {f.PackageName} {f.InstalledVersion}: {fix}. Rule: {j.Rule}.";
    }

    private static string SecuritySeverity(JudgedFinding finding) =>
        (finding.Cvss ?? finding.Finding.Severity switch
        {
            Severity.Critical => 9.5,
            Severity.High => 8.0,
            Severity.Medium => 5.5,
            Severity.Low => 2.0,
            _ => 0.0,
        }).ToString("0.0", CultureInfo.InvariantCulture);

    private static string? AbsoluteUri(string? text) =>
        text is not null && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.AbsoluteUri : null;

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
