using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Policy;

/// <summary>The policy's <c>rescan:</c> section: how long an approved artifact that a rescan now blocks may stay
/// in use (state AtRisk) before it is quarantined.</summary>
/// <param name="FixWithin">Time to fix per severity of the blocking finding; a severity not listed uses
/// <paramref name="DefaultFixWithin"/>.</param>
/// <param name="DefaultFixWithin">Time to fix for findings whose severity is not listed (and for report-level blocks).</param>
public sealed record RescanRules(IReadOnlyDictionary<Severity, TimeSpan> FixWithin, TimeSpan DefaultFixWithin)
{
    /// <summary>Used when the policy has no <c>rescan:</c> section: CRITICAL 7 days, HIGH 30 days, others 30 days.</summary>
    public static RescanRules BuiltIn { get; } = new(
        new Dictionary<Severity, TimeSpan> { [Severity.Critical] = TimeSpan.FromDays(7), [Severity.High] = TimeSpan.FromDays(30) },
        TimeSpan.FromDays(30));
}
