using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Scanning;

/// <summary>Direct Trivy mode (section <c>HarborBridge:Trivy</c>): for a Harbor without a scanner, HarborBridge runs
/// the <c>trivy</c> executable against the registry itself instead of asking Harbor to scan.</summary>
public sealed class TrivyOptions
{
    public const string SectionName = "HarborBridge:Trivy";

    /// <summary>Scan pushed images with Trivy directly (Harbor's scan API is then not used).</summary>
    public bool Enabled { get; set; }

    /// <summary>The trivy executable (a name on PATH or a full path).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Path { get; set; } = "trivy";

    /// <summary>A scan still running after this long is killed and counts as a failed scan.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Pass <c>--insecure</c> (registry with a self-signed certificate or plain HTTP).</summary>
    public bool Insecure { get; set; }

    /// <summary>Trivy's cache folder (<c>--cache-dir</c>); Trivy's default when empty. This process runs one Trivy at a
    /// time; several processes (replicas) must not share one folder, or Trivy's cache lock makes them wait, time out
    /// and retry.</summary>
    public string? CacheDir { get; set; }

    /// <summary>Largest report read from Trivy's output.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxReportBytes { get; set; } = 256 * 1024 * 1024;
}
