using HarborBridge.Core.Policy;

namespace HarborBridge.Core.Scheduling;

/// <summary>When an artifact that a rescan now blocks must be fixed by: the earliest deadline among its blocking
/// findings. A finding in the known-exploited (KEV) catalog leaves no time at all.</summary>
public static class FixByDeadline
{
    public static DateTimeOffset Compute(Decision decision, RescanRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(rules);
        var blocking = decision.Blocking.ToList();
        if (blocking.Count == 0)
        {
            // A report-level block (no report, report too old) has no finding to rank by.
            return now + rules.DefaultFixWithin;
        }

        return blocking.Min(f => f.KnownExploited
            ? now
            : now + (rules.FixWithin.TryGetValue(f.Finding.Severity, out var within) ? within : rules.DefaultFixWithin));
    }
}
