using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Scheduling;

namespace HarborBridge.Core.Policy;

/// <summary>What a candidate policy would do to one decided artifact.</summary>
public enum PreviewChange
{
    /// <summary>Approved or warned now; the candidate blocks it (at risk, then quarantined at its fix-by deadline).</summary>
    Blocked,

    /// <summary>Approved now; the candidate warns.</summary>
    Warned,

    /// <summary>Quarantined or at risk now; the candidate passes or warns (a release is asked for).</summary>
    Released,

    /// <summary>Warned now; the candidate passes.</summary>
    Cleared,

    /// <summary>The same outcome as now.</summary>
    Unchanged,
}

/// <summary>An artifact as the store holds it: its life-cycle state and the decision in force.</summary>
public sealed record StoredArtifact(ArtifactRef Artifact, ArtifactState State, string DecisionJson);

/// <summary>A finding that decides the candidate's verdict (block or warn).</summary>
public sealed record PreviewFinding(string Id, string Package, string Version, string Severity, string Outcome, string Rule);

/// <summary>One artifact whose outcome the candidate changes.</summary>
/// <param name="FixBy">For <see cref="PreviewChange.Blocked"/>: when it would be quarantined under the candidate's
/// <c>rescan</c> rules, counted from the preview.</param>
public sealed record PreviewEntry(
    ArtifactRef Artifact,
    ArtifactState From,
    Verdict Verdict,
    bool Enforced,
    PreviewChange Change,
    string Reason,
    IReadOnlyList<PreviewFinding> Findings,
    DateTimeOffset? FixBy);

/// <summary>The preview for one scope of the candidate policy (<c>defaults</c> or <c>projects[i] (…)</c>).</summary>
public sealed record ScopeImpact(string Scope, IReadOnlyList<PreviewEntry> Changes, int Unchanged)
{
    public int Count(PreviewChange change) => change == PreviewChange.Unchanged ? Unchanged : Changes.Count(c => c.Change == change);
}

/// <summary>What a candidate policy would change over every decided artifact in the store.</summary>
/// <param name="Judged">Artifacts judged (approved, warned, at risk or quarantined, with a stored decision).</param>
/// <param name="Unreadable">Artifacts whose stored decision could not be read back (left out, named in <paramref name="Notes"/>).</param>
/// <param name="Notes">What the preview did not evaluate, e.g. <c>require</c> rules.</param>
public sealed record PolicyImpact(
    string CandidateVersion,
    DateTimeOffset EvaluatedAt,
    int Judged,
    int Unreadable,
    IReadOnlyList<ScopeImpact> Scopes,
    IReadOnlyList<string> Notes)
{
    public int Count(PreviewChange change) => Scopes.Sum(s => s.Count(change));

    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<PreviewEntry> Changes => Scopes.SelectMany(s => s.Changes);
}

/// <summary>
/// Judges every stored decided artifact again with a candidate policy, on the report behind its decision in force, with
/// the same evaluator as the pipeline, and compares the outcome with the artifact's state. Pure: the caller streams the
/// stored artifacts in (<see cref="Add"/>) and takes <see cref="Result"/>. Signatures and attestations (<c>require</c>)
/// cannot be verified again without the registry: the current result is kept for them.
/// </summary>
public sealed class PolicyPreview(PolicyDocument candidate, PolicyInputs inputs, DateTimeOffset now)
{
    public const string RequireNote = "require: not re-verified in preview; current result kept";

    private readonly PolicyDocument _withoutRequire = WithoutRequire(candidate);
    private readonly Dictionary<string, (List<PreviewEntry> Changes, int Unchanged)> _scopes = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];
    private readonly Lock _sync = new();
    private int _judged;
    private int _unreadable;
    private bool _requireNoted;

    /// <summary>Judges one artifact; safe to call from several threads.</summary>
    public void Add(StoredArtifact stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        StoredReport report;
        try
        {
            report = StoredReport.FromDecisionJson(stored.DecisionJson);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            lock (_sync)
            {
                _unreadable++;
                if (_unreadable <= 10)
                {
                    _notes.Add($"{stored.Artifact}: its stored decision could not be read ({e.Message}); left out.");
                }
            }

            return;
        }

        var entry = Judge(stored, report);
        lock (_sync)
        {
            _judged++;
            if (entry.Requirement)
            {
                _requireNoted = true;
            }

            ref var scope = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_scopes, entry.Scope, out var exists);
            if (!exists)
            {
                scope = ([], 0);
            }

            if (entry.Entry is { Change: not PreviewChange.Unchanged } change)
            {
                scope.Changes.Add(change);
            }
            else
            {
                scope.Unchanged++;
            }
        }
    }

    public PolicyImpact Result()
    {
        lock (_sync)
        {
            var notes = new List<string>(_notes);
            if (_requireNoted)
            {
                notes.Insert(0, RequireNote);
            }

            var scopes = _scopes.OrderBy(s => s.Key == "defaults" ? 1 : 0).ThenBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => new ScopeImpact(s.Key, s.Value.Changes.OrderBy(c => c.Change).ThenBy(c => c.Artifact.ToString(), StringComparer.Ordinal).ToList(),
                    s.Value.Unchanged))
                .ToList();
            return new PolicyImpact(candidate.PolicyVersion, now, _judged, _unreadable, scopes, notes);
        }
    }

    /// <summary>How the candidate's outcome compares with the artifact's state. Only decided states are compared.</summary>
    public static PreviewChange Classify(ArtifactState from, Verdict verdict, bool enforced)
    {
        var now = from switch
        {
            ArtifactState.Quarantined or ArtifactState.AtRisk => Verdict.Block,
            ArtifactState.Warned => Verdict.Warn,
            ArtifactState.Approved => Verdict.Pass,
            _ => throw new ArgumentOutOfRangeException(nameof(from), from, "only decided artifacts are previewed"),
        };
        // A block in dry run is recorded as a warning: the artifact stays usable.
        var then = verdict == Verdict.Block && !enforced ? Verdict.Warn : verdict;
        return (now, then) switch
        {
            _ when now == then => PreviewChange.Unchanged,
            (_, Verdict.Block) => PreviewChange.Blocked,
            (Verdict.Block, _) => PreviewChange.Released,
            (Verdict.Pass, Verdict.Warn) => PreviewChange.Warned,
            _ => PreviewChange.Cleared,
        };
    }

    private (string Scope, PreviewEntry? Entry, bool Requirement) Judge(StoredArtifact stored, StoredReport report)
    {
        var a = stored.Artifact;
        var decision = PolicyEvaluator.Evaluate(a, report.Report, _withoutRequire, now, inputs);
        var (rules, _) = candidate.Resolve(a.Project, a.Repository);
        var verdict = decision.Verdict;
        var requirement = !rules.Require.IsEmpty;
        if (requirement && report.Requirement is { } kept && kept > verdict)
        {
            verdict = kept;
        }

        var change = Classify(stored.State, verdict, decision.Enforced);
        if (change == PreviewChange.Unchanged)
        {
            return (decision.RuleSource, null, requirement);
        }

        var findings = decision.Findings.Where(f => f.Outcome is FindingOutcome.Block or FindingOutcome.Warn)
            .Select(f => new PreviewFinding(f.Finding.Id, f.Finding.PackageName, f.Finding.InstalledVersion, f.Finding.Severity.ToWord(),
                f.Outcome.ToString().ToLowerInvariant(), f.Rule))
            .ToList();
        var reason = verdict != decision.Verdict
            ? $"{RequireNote} (unmet requirement: {DecisionRenderer.VerdictWord(verdict)})"
            : decision.ReportRule ?? Summary(decision);
        DateTimeOffset? fixBy = change == PreviewChange.Blocked ? FixByDeadline.Compute(decision, candidate.RescanRulesInForce, now) : null;
        return (decision.RuleSource, new PreviewEntry(a, stored.State, verdict, decision.Enforced, change, reason, findings, fixBy), requirement);
    }

    private static string Summary(Decision decision) => decision.Verdict switch
    {
        Verdict.Block => $"{decision.Count(FindingOutcome.Block)} finding(s) at or above the block threshold",
        Verdict.Warn => $"{decision.Count(FindingOutcome.Warn)} finding(s) at or above the warn threshold",
        _ => "no finding at or above a threshold",
    } + (decision.Enforced ? "" : "; dry run: not enforced");

    private static PolicyDocument WithoutRequire(PolicyDocument policy) => policy with
    {
        Defaults = policy.Defaults with { Require = null },
        Projects = policy.Projects.Select(p => p with { Settings = p.Settings with { Require = null } }).ToList(),
    };
}
