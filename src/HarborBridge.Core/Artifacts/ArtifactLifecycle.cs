using HarborBridge.Core.Policy;

namespace HarborBridge.Core.Artifacts;

/// <summary>An artifact's life-cycle state. The names are the strings stored in the database and shown by the API.</summary>
public enum ArtifactState
{
    Received,
    Scanning,
    ScanFailed,
    Approved,
    Warned,
    AtRisk,
    Quarantined,
    Released,
    Deleted,
}

/// <summary>What the life cycle knows of an artifact when a cause arrives: its state, and the creation time of the report
/// and the policy version behind the verdict in force (null when none was decided on a report, or the report carried no
/// time), Harbor's times of its last push and of its deletion, and the id of the decision in force.</summary>
public readonly record struct ArtifactStatus(
    ArtifactState State,
    DateTimeOffset? VerdictReportAt = null,
    string? VerdictPolicyVersion = null,
    DateTimeOffset? PushedAt = null,
    DateTimeOffset? DeletedAt = null,
    string? DecisionId = null);

/// <summary>Why an artifact's state might change. Each kind is one row of the rules in <see cref="ArtifactLifecycle"/>.</summary>
public abstract record LifecycleCause
{
    /// <summary>A short stable name, used in logs and as the <c>cause</c> label of the refused-transitions metric.</summary>
    public abstract string Kind { get; }
}

/// <summary>A scan of the artifact was asked for (a push, a retry of the sweep).</summary>
public sealed record ScanRequestedCause : LifecycleCause
{
    public override string Kind => "scan-requested";
}

/// <summary>A verdict reached on a scan report (the scan-completed path, the sweep finding Harbor's result, a direct Trivy
/// scan, a policy re-evaluation).</summary>
/// <param name="ReportAt">When the report was made (Harbor's <c>generated_at</c>, Trivy's <c>CreatedAt</c>).</param>
public sealed record ScanVerdictCause(Verdict Verdict, bool Enforced, DateTimeOffset? ReportAt) : LifecycleCause
{
    public override string Kind => "scan-verdict";
}

/// <summary>A scan that failed, was stopped or timed out, as Harbor (or our own Trivy run) says; <paramref name="Action"/>
/// is the policy's onScanFailure for the artifact.</summary>
public sealed record ScanFailureCause(ScanFailureAction Action, bool Confirmed) : LifecycleCause
{
    public override string Kind => "scan-failure";
}

/// <summary>A scheduled rescan, or a re-evaluation after a policy or exception change, judged an already decided artifact
/// again against its current report with the policy <paramref name="PolicyVersion"/>.</summary>
public sealed record RescanCause(Verdict Verdict, bool Enforced, DateTimeOffset? ReportAt, string PolicyVersion) : LifecycleCause
{
    public override string Kind => "rescan";
}

/// <summary>The fix-by deadline of an at-risk artifact passed; the verdict is the last look at its report.</summary>
public sealed record DeadlineCause(Verdict Verdict, bool Enforced) : LifecycleCause
{
    public override string Kind => "deadline";
}

/// <summary>The quarantine strategies were applied (or found in force) for a blocking decision.</summary>
public sealed record QuarantineAppliedCause : LifecycleCause
{
    public override string Kind => "quarantine-applied";
}

/// <summary>An audited release: by a person through the API/CLI, by an exception, or by a newer passing report.</summary>
public sealed record ReleaseCause(string Actor) : LifecycleCause
{
    public override string Kind => "release";
}

/// <summary>A released artifact got HarborBridge's signature again.</summary>
public sealed record SignedAfterReleaseCause : LifecycleCause
{
    public override string Kind => "signed-after-release";
}

/// <summary>A fact for the audit trail that changes no state (e.g. a release that could not undo everything yet).</summary>
public sealed record AuditNoteCause : LifecycleCause
{
    public override string Kind => "note";
}

/// <summary>Harbor deleted the artifact at <paramref name="At"/> (Harbor's clock).</summary>
public sealed record DeletedCause(DateTimeOffset At) : LifecycleCause
{
    public override string Kind => "deleted";
}

/// <summary>The digest was pushed at <paramref name="At"/> (Harbor's clock).</summary>
public sealed record PushedCause(DateTimeOffset At) : LifecycleCause
{
    public override string Kind => "pushed";
}

/// <summary>The answer of <see cref="ArtifactLifecycle.Next"/>: the state to move to (which may be the current one: the
/// cause is recorded, the state stays), or a refusal with its reason. <see cref="ReleaseRequested"/> says the cause
/// entitles a quarantined artifact to leave, which happens through the release service, not by a state write.</summary>
public sealed record LifecycleStep(ArtifactState? To, string? Refusal, bool ReleaseRequested = false)
{
    public bool Allowed => Refusal is null;

    public static LifecycleStep MoveTo(ArtifactState to) => new(to, null);

    public static LifecycleStep Refuse(string reason) => new(null, reason);
}

/// <summary>
/// The one owner of an artifact's life cycle: a pure function from (state, cause) to the next state or a refusal.
/// The rules:
/// <list type="bullet">
/// <item>a quarantined artifact leaves only by an audited release, or when a pass/warn verdict on a report newer than the
/// one that blocked it (or, in a rescan, under a changed policy version) asks for its release;</item>
/// <item>a scan failure never overrides a verdict reached on a report: it acts only on Received/Scanning/ScanFailed
/// artifacts, and only when confirmed (Harbor's own scan status says Error/Stopped, or our own Trivy run failed);</item>
/// <item>a report older than the one behind the verdict in force changes nothing;</item>
/// <item>a deleted artifact takes no verdict; a push of its digest revives it as Received;</item>
/// <item>a scan may be asked for only while the artifact is undecided (Received, Scanning, ScanFailed).</item>
/// </list>
/// </summary>
public static class ArtifactLifecycle
{
    /// <summary>States in which the artifact has no verdict reached on a report yet.</summary>
    public static bool IsUndecided(ArtifactState state) => state is ArtifactState.Received or ArtifactState.Scanning or ArtifactState.ScanFailed;

    public static ArtifactState Parse(string state) =>
        Enum.TryParse<ArtifactState>(state, ignoreCase: false, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"Unknown artifact state '{state}'.", nameof(state));

    /// <summary>The state a verdict puts a freshly decided artifact in: pass → Approved, an enforced block → Quarantined,
    /// anything else (warn, a dry-run block) → Warned.</summary>
    public static ArtifactState VerdictState(Verdict verdict, bool enforced) => (verdict, enforced) switch
    {
        (Verdict.Pass, _) => ArtifactState.Approved,
        (Verdict.Block, true) => ArtifactState.Quarantined,
        _ => ArtifactState.Warned,
    };

    public static LifecycleStep Next(ArtifactStatus current, LifecycleCause cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var state = current.State;
        if (state == ArtifactState.Deleted && cause is not (PushedCause or DeletedCause))
        {
            return LifecycleStep.Refuse("the artifact was deleted from Harbor; only a new push of its digest brings it back");
        }

        return cause switch
        {
            PushedCause pushed => state != ArtifactState.Deleted
                ? Stay(state)
                // Harbor's event times have whole seconds: a push in the same second as the deletion is taken as the later one.
                : current.DeletedAt is { } deletedAt && pushed.At < deletedAt
                    ? LifecycleStep.Refuse($"the push ({pushed.At:u}) is older than the deletion ({deletedAt:u})")
                    : LifecycleStep.MoveTo(ArtifactState.Received),
            DeletedCause deleted => current.PushedAt is { } pushedAt && deleted.At < pushedAt
                ? LifecycleStep.Refuse($"the deletion ({deleted.At:u}) is older than the last push ({pushedAt:u})")
                : LifecycleStep.MoveTo(ArtifactState.Deleted),
            ScanRequestedCause => IsUndecided(state)
                ? LifecycleStep.MoveTo(ArtifactState.Scanning)
                : LifecycleStep.Refuse($"already decided ({state}); a decided artifact is judged again by a rescan, not a new scan request"),
            ScanFailureCause failure => OnScanFailure(state, failure),
            ScanVerdictCause verdict => OnVerdict(current, verdict.Verdict, verdict.Enforced, verdict.ReportAt),
            RescanCause rescan => OnRescan(current, rescan),
            DeadlineCause deadline => state != ArtifactState.AtRisk
                ? LifecycleStep.Refuse($"no fix-by deadline applies in state {state}")
                : LifecycleStep.MoveTo(deadline.Verdict == Verdict.Block && deadline.Enforced
                    ? ArtifactState.Quarantined
                    : VerdictState(deadline.Verdict, deadline.Enforced)),
            // Failing closed: a block for an artifact not yet decided here quarantines it too; one decided since (approved,
            // released, at risk) means the blocking decision was overtaken.
            QuarantineAppliedCause => state == ArtifactState.Quarantined || IsUndecided(state)
                ? LifecycleStep.MoveTo(ArtifactState.Quarantined)
                : LifecycleStep.Refuse($"the artifact is {state} now; the blocking decision was overtaken"),
            AuditNoteCause => Stay(state),
            ReleaseCause => state is ArtifactState.Quarantined or ArtifactState.AtRisk
                ? LifecycleStep.MoveTo(ArtifactState.Released)
                : LifecycleStep.Refuse($"only a quarantined or at-risk artifact can be released (it is {state})"),
            SignedAfterReleaseCause => state == ArtifactState.Released
                ? LifecycleStep.MoveTo(ArtifactState.Approved)
                : LifecycleStep.Refuse($"the artifact is {state}, not Released"),
            _ => LifecycleStep.Refuse($"unknown cause {cause.Kind}"),
        };
    }

    private static LifecycleStep Stay(ArtifactState state) => LifecycleStep.MoveTo(state);

    private static LifecycleStep OnScanFailure(ArtifactState state, ScanFailureCause failure)
    {
        if (!failure.Confirmed)
        {
            return LifecycleStep.Refuse("the scanner does not confirm that this scan failed");
        }

        if (!IsUndecided(state))
        {
            return LifecycleStep.Refuse($"a scan failure never overrides a verdict reached on a report (the artifact is {state})");
        }

        return LifecycleStep.MoveTo(failure.Action switch
        {
            ScanFailureAction.Hold => ArtifactState.ScanFailed,
            ScanFailureAction.Quarantine => ArtifactState.Quarantined,
            _ => ArtifactState.Warned,
        });
    }

    private static LifecycleStep OnVerdict(ArtifactStatus current, Verdict verdict, bool enforced, DateTimeOffset? reportAt)
    {
        var state = current.State;
        var target = VerdictState(verdict, enforced);
        if (IsUndecided(state))
        {
            // A digest pushed again after its deletion keeps the time of the report it was last judged on: only a newer one
            // decides it again.
            return current.VerdictReportAt is { } last && !IsNewer(reportAt, last)
                ? LifecycleStep.Refuse($"the report ({reportAt:u}) is not newer than the one this digest was last judged on ({last:u})")
                : LifecycleStep.MoveTo(target);
        }

        if (!IsNewer(reportAt, current.VerdictReportAt))
        {
            return LifecycleStep.Refuse(reportAt is null
                ? $"the report carries no time, so it cannot overtake the verdict in force ({state})"
                : $"the report ({reportAt:u}) is not newer than the one behind the verdict in force ({current.VerdictReportAt:u}, {state})");
        }

        return state switch
        {
            ArtifactState.Quarantined when target == ArtifactState.Quarantined => Stay(state),
            // Leaving quarantine undoes its strategies: the release service does that and records the state.
            ArtifactState.Quarantined => new LifecycleStep(ArtifactState.Quarantined, null, ReleaseRequested: true),
            // A newer report that still fails keeps the deadline running rather than quarantining before it.
            ArtifactState.AtRisk when target == ArtifactState.Quarantined => Stay(state),
            _ => LifecycleStep.MoveTo(target),
        };
    }

    private static LifecycleStep OnRescan(ArtifactStatus current, RescanCause rescan)
    {
        var state = current.State;
        if (IsUndecided(state) || state is ArtifactState.Released)
        {
            return LifecycleStep.Refuse($"a rescan judges decided artifacts only (the artifact is {state})");
        }

        if (current.VerdictReportAt is { } inForce && rescan.ReportAt is { } reportAt && reportAt < inForce)
        {
            return LifecycleStep.Refuse($"the report ({reportAt:u}) is older than the one behind the verdict in force ({inForce:u})");
        }

        var blocks = rescan.Verdict == Verdict.Block && rescan.Enforced;
        return state switch
        {
            ArtifactState.Approved or ArtifactState.Warned when blocks => LifecycleStep.MoveTo(ArtifactState.AtRisk),
            ArtifactState.Approved or ArtifactState.Warned => Stay(state),
            ArtifactState.AtRisk when blocks => Stay(state),
            ArtifactState.AtRisk => LifecycleStep.MoveTo(VerdictState(rescan.Verdict, rescan.Enforced)),
            // Quarantined: a passing rescan asks for the release when its report is newer than the blocking one, or when
            // the policy itself changed (an exception added, a rule relaxed: both audited through the policy version).
            _ when rescan.Verdict == Verdict.Block => Stay(state),
            _ when IsNewer(rescan.ReportAt, current.VerdictReportAt) || rescan.PolicyVersion != current.VerdictPolicyVersion
                => new LifecycleStep(state, null, ReleaseRequested: true),
            _ => LifecycleStep.Refuse("a quarantined artifact is released only on a newer report or under a changed policy"),
        };
    }

    /// <summary>True when <paramref name="candidate"/> is known and later than the time in force (or none is in force).</summary>
    private static bool IsNewer(DateTimeOffset? candidate, DateTimeOffset? inForce) =>
        candidate is { } c && (inForce is not { } f || c > f);
}
