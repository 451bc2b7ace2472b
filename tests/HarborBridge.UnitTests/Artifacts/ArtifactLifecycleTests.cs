using CsCheck;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Artifacts;

/// <summary>
/// Every (state, cause) pair of the artifact life cycle against a table written from the rules of issue 16, not from the
/// code: a quarantined artifact leaves only by a release or a newer passing report; a scan failure never overrides a
/// verdict; an older report changes nothing; a deleted digest comes back only by a newer push.
/// </summary>
public sealed class ArtifactLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Newer = T0.AddHours(1);
    private static readonly DateTimeOffset Older = T0.AddHours(-1);

    // Columns, in this order: Received, Scanning, ScanFailed, Approved, Warned, AtRisk, Quarantined, Released, Deleted.
    // "-" refused; "R" allowed, the state stays Quarantined and a release is asked for; otherwise the new state:
    // Rc Received, Sc Scanning, SF ScanFailed, A Approved, W Warned, AR AtRisk, Q Quarantined, Rel Released, D Deleted.
    private static readonly (string Name, LifecycleCause Cause, string Row)[] Table =
    [
        ("scan requested", new ScanRequestedCause(), "Sc Sc Sc - - - - - -"),
        ("verdict pass, newer report", new ScanVerdictCause(Verdict.Pass, true, Newer), "A A A A A A R A -"),
        ("verdict warn, newer report", new ScanVerdictCause(Verdict.Warn, true, Newer), "W W W W W W R W -"),
        ("verdict block, newer report", new ScanVerdictCause(Verdict.Block, true, Newer), "Q Q Q Q Q AR Q Q -"),
        ("verdict dry-run block, newer report", new ScanVerdictCause(Verdict.Block, false, Newer), "W W W W W W R W -"),
        ("verdict pass, older report", new ScanVerdictCause(Verdict.Pass, true, Older), "A A A - - - - - -"),
        ("verdict pass, same report", new ScanVerdictCause(Verdict.Pass, true, T0), "A A A - - - - - -"),
        ("verdict pass, report without time", new ScanVerdictCause(Verdict.Pass, true, null), "A A A - - - - - -"),
        ("scan failure confirmed, hold", new ScanFailureCause(ScanFailureAction.Hold, true), "SF SF SF - - - - - -"),
        ("scan failure confirmed, quarantine", new ScanFailureCause(ScanFailureAction.Quarantine, true), "Q Q Q - - - - - -"),
        ("scan failure confirmed, allow", new ScanFailureCause(ScanFailureAction.Allow, true), "W W W - - - - - -"),
        ("scan failure unconfirmed, allow", new ScanFailureCause(ScanFailureAction.Allow, false), "- - - - - - - - -"),
        ("scan failure unconfirmed, hold", new ScanFailureCause(ScanFailureAction.Hold, false), "- - - - - - - - -"),
        ("rescan block, newer report", new RescanCause(Verdict.Block, true, Newer, "p1"), "- - - AR AR AR Q - -"),
        ("rescan pass, newer report", new RescanCause(Verdict.Pass, true, Newer, "p1"), "- - - A W A R - -"),
        ("rescan pass, same report and policy", new RescanCause(Verdict.Pass, true, T0, "p1"), "- - - A W A - - -"),
        ("rescan pass, same report, policy changed", new RescanCause(Verdict.Pass, true, T0, "p2"), "- - - A W A R - -"),
        ("rescan pass, older report, policy changed", new RescanCause(Verdict.Pass, true, Older, "p2"), "- - - - - - - - -"),
        ("deadline, still blocking", new DeadlineCause(Verdict.Block, true), "- - - - - Q - - -"),
        ("deadline, passes now", new DeadlineCause(Verdict.Pass, true), "- - - - - A - - -"),
        ("quarantine applied", new QuarantineAppliedCause(), "Q Q Q - - - Q - -"),
        ("release", new ReleaseCause("alice"), "- - - - - Rel Rel - -"),
        ("signed after release", new SignedAfterReleaseCause(), "- - - - - - - A -"),
        ("deleted after the last push", new DeletedCause(Newer), "D D D D D D D D D"),
        ("deleted before the last push", new DeletedCause(Older), "- - - - - - - - -"),
        ("pushed after the deletion", new PushedCause(Newer), "Rc Sc SF A W AR Q Rel Rc"),
        ("pushed before the deletion", new PushedCause(Older), "Rc Sc SF A W AR Q Rel -"),
        ("pushed in the second of the deletion", new PushedCause(T0), "Rc Sc SF A W AR Q Rel Rc"),
        ("audit note", new AuditNoteCause(), "Rc Sc SF A W AR Q Rel -"),
    ];

    private static readonly ArtifactState[] Columns =
    [
        ArtifactState.Received, ArtifactState.Scanning, ArtifactState.ScanFailed, ArtifactState.Approved, ArtifactState.Warned,
        ArtifactState.AtRisk, ArtifactState.Quarantined, ArtifactState.Released, ArtifactState.Deleted,
    ];

    private static readonly Dictionary<string, ArtifactState> Names = new()
    {
        ["Rc"] = ArtifactState.Received, ["Sc"] = ArtifactState.Scanning, ["SF"] = ArtifactState.ScanFailed, ["A"] = ArtifactState.Approved,
        ["W"] = ArtifactState.Warned, ["AR"] = ArtifactState.AtRisk, ["Q"] = ArtifactState.Quarantined, ["Rel"] = ArtifactState.Released,
        ["D"] = ArtifactState.Deleted,
    };

    public static TheoryData<string, string, string> Pairs()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (name, _, row) in Table)
        {
            var cells = row.Split(' ');
            for (var i = 0; i < Columns.Length; i++)
            {
                data.Add(name, Columns[i].ToString(), cells[i]);
            }
        }

        return data;
    }

    /// <summary>The status a state is met in: decided states carry the report (T0) and policy (p1) of their verdict; the
    /// artifact was last pushed at T0 and, when deleted, deleted at T0.</summary>
    private static ArtifactStatus StatusIn(ArtifactState state) => new(state,
        ArtifactLifecycle.IsUndecided(state) ? null : T0,
        ArtifactLifecycle.IsUndecided(state) ? null : "p1",
        PushedAt: T0,
        DeletedAt: state == ArtifactState.Deleted ? T0 : null);

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Next_EveryStateAndCause_AsTheRulesSay(string cause, string state, string expected)
    {
        var from = Enum.Parse<ArtifactState>(state);
        var step = ArtifactLifecycle.Next(StatusIn(from), Table.Single(t => t.Name == cause).Cause);

        switch (expected)
        {
            case "-":
                Assert.False(step.Allowed, $"{cause} from {state} should be refused, moved to {step.To}");
                Assert.False(string.IsNullOrWhiteSpace(step.Refusal));
                break;
            case "R":
                Assert.True(step.Allowed, step.Refusal);
                Assert.True(step.ReleaseRequested);
                Assert.Equal(ArtifactState.Quarantined, step.To);
                break;
            default:
                Assert.True(step.Allowed, step.Refusal);
                Assert.False(step.ReleaseRequested);
                Assert.Equal(Names[expected], step.To);
                break;
        }
    }

    [Fact]
    public void Table_CoversEveryStateAndEveryKindOfCause()
    {
        Assert.Equal(Enum.GetValues<ArtifactState>().Order(), Columns.Order());
        var kinds = typeof(LifecycleCause).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LifecycleCause)) && !t.IsAbstract).ToList();
        Assert.All(kinds, k => Assert.Contains(Table, t => t.Cause.GetType() == k));
    }

    /// <summary>Causes that are neither a release nor a pass/warn on a report newer than the blocking one (nor a rescan under
    /// a changed policy, which is a re-evaluation an administrator asked for): forged and reordered events, older reports,
    /// scan failures (confirmed or not, under every onScanFailure), deadlines, deletions and pushes of the digest.</summary>
    private static readonly Gen<LifecycleCause> NoReleaseCause = Gen.OneOf<LifecycleCause>(
        Gen.Const<LifecycleCause>(new ScanRequestedCause()),
        Gen.Select(Gen.Enum<Verdict>(), Gen.Bool, Gen.Int[-48, 0], (v, e, h) => (LifecycleCause)new ScanVerdictCause(v, e, T0.AddHours(h))),
        Gen.Select(Gen.Enum<Verdict>(), Gen.Bool, (v, e) => (LifecycleCause)new ScanVerdictCause(v, e, null)),
        Gen.Select(Gen.Enum<ScanFailureAction>(), a => (LifecycleCause)new ScanFailureCause(a, false)),
        Gen.Select(Gen.Enum<ScanFailureAction>(), a => (LifecycleCause)new ScanFailureCause(a, true)),
        Gen.Select(Gen.Enum<Verdict>(), Gen.Bool, Gen.Int[-48, 0], (v, e, h) => (LifecycleCause)new RescanCause(v, e, T0.AddHours(h), "p1")),
        Gen.Select(Gen.Enum<Verdict>(), Gen.Bool, (v, e) => (LifecycleCause)new DeadlineCause(v, e)),
        Gen.Const<LifecycleCause>(new QuarantineAppliedCause()),
        Gen.Const<LifecycleCause>(new SignedAfterReleaseCause()),
        Gen.Const<LifecycleCause>(new AuditNoteCause()),
        Gen.Select(Gen.Int[-48, 48], h => (LifecycleCause)new DeletedCause(T0.AddHours(h))),
        Gen.Select(Gen.Int[-48, 48], h => (LifecycleCause)new PushedCause(T0.AddHours(h))));

    /// <summary>The one way out without a release or a newer passing report is a new life: Harbor deleted the digest and it
    /// was pushed again (Deleted, then Received), after which it is judged afresh — under onScanFailure: allow a confirmed
    /// scan failure may then warn it. The property says so: Approved, Warned or Released (or a release request) is reached
    /// only after such a revival, never from the quarantine itself.</summary>
    [Fact]
    public void Quarantined_NoSequenceWithoutReleaseOrNewerPassingReport_EverReachesApprovedOrWarned()
    {
        NoReleaseCause.Array[1, 40].Sample(causes =>
        {
            // The store's bookkeeping, as SqlDecisionStore keeps it: a verdict sets the report time and policy in force,
            // a push or a deletion sets its own time.
            var status = new ArtifactStatus(ArtifactState.Quarantined, T0, "p1", T0, null);
            var revived = false;
            foreach (var cause in causes)
            {
                var step = ArtifactLifecycle.Next(status, cause);
                if (!step.Allowed)
                {
                    continue;
                }

                if (!revived && (step.ReleaseRequested || step.To is ArtifactState.Approved or ArtifactState.Warned or ArtifactState.Released))
                {
                    return false;
                }

                revived |= status.State == ArtifactState.Deleted && step.To == ArtifactState.Received;
                status = status with
                {
                    State = step.To!.Value,
                    VerdictReportAt = cause is ScanVerdictCause { ReportAt: { } at } && at > (status.VerdictReportAt ?? DateTimeOffset.MinValue) ? at : status.VerdictReportAt,
                    PushedAt = cause is PushedCause p && step.To == ArtifactState.Received ? p.At : status.PushedAt,
                    DeletedAt = cause is DeletedCause d ? d.At : status.DeletedAt,
                };
            }

            return true;
        }, iter: 20_000);
    }

    [Fact]
    public void Quarantined_DeletedThenPushedAgain_IsANewLifeThatAConfirmedFailureUnderAllowMayWarn()
    {
        // The exemption in the property above, shown once: without the deletion and the push, the same failure is refused.
        var quarantined = new ArtifactStatus(ArtifactState.Quarantined, T0, "p1", T0, null);
        var failure = new ScanFailureCause(ScanFailureAction.Allow, true);
        Assert.False(ArtifactLifecycle.Next(quarantined, failure).Allowed);

        var deleted = quarantined with { State = ArtifactLifecycle.Next(quarantined, new DeletedCause(Newer)).To!.Value, DeletedAt = Newer };
        var pushed = ArtifactLifecycle.Next(deleted, new PushedCause(Newer.AddHours(1)));
        Assert.Equal(ArtifactState.Received, pushed.To);
        var received = deleted with { State = ArtifactState.Received, PushedAt = Newer.AddHours(1) };
        Assert.Equal(ArtifactState.Warned, ArtifactLifecycle.Next(received, failure).To);
    }

    [Fact]
    public void Quarantined_NewerPassingReport_AsksForReleaseButKeepsTheState()
    {
        var step = ArtifactLifecycle.Next(new ArtifactStatus(ArtifactState.Quarantined, T0, "p1"), new ScanVerdictCause(Verdict.Pass, true, Newer));

        Assert.True(step.ReleaseRequested);
        Assert.Equal(ArtifactState.Quarantined, step.To);
    }

    [Fact]
    public void Parse_UnknownState_Throws() =>
        Assert.Throws<ArgumentException>(() => ArtifactLifecycle.Parse("Signed"));
}
