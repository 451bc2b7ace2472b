using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Policy;

/// <summary>Where the policy lives and how scans are supervised (section <c>HarborBridge:Policy</c>).</summary>
public sealed class PolicyOptions
{
    public const string SectionName = "HarborBridge:Policy";

    /// <summary>Where the policy is read when <see cref="File"/> is not set.</summary>
    public const string DefaultFile = "config/policy.yaml";

    /// <summary>The policy file (YAML, see docs/policy.md). Re-read when it changes; an invalid edit is logged and the last
    /// good policy stays in force. When set, the file must exist and parse, or <c>serve</c> does not start. When not set,
    /// <see cref="DefaultFile"/> is read if it exists, else the built-in defaults apply (block CRITICAL, warn HIGH).</summary>
    public string? File { get; set; }

    /// <summary>A scan not finished after this long is checked with Harbor and, if need be, started again.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan ScanTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Scan attempts before a scan that never finishes counts as failed (then onScanFailure applies).</summary>
    [Range(1, 10)]
    public int MaxScanAttempts { get; set; } = 3;

    /// <summary>A changed policy file that would newly block more decided artifacts than this (per the impact preview) is held
    /// back: the last policy stays in force, an operator alert is raised and <c>/readyz</c> shows it, until an admin accepts
    /// it (<c>harborbridge policy apply --accept-impact N</c> or <c>POST /api/v1/policy/accept</c>).</summary>
    [Range(0, 1_000_000)]
    public int MaxNewlyBlocked { get; set; } = 25;

    /// <summary>Decided artifacts read from the database per page by the impact preview.</summary>
    [Range(10, 100_000)]
    public int PreviewPageSize { get; set; } = 1000;

    /// <summary>How often the scan-timeout sweep runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
