using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Harbor;

/// <summary>How to reach Harbor (section <c>HarborBridge:Harbor</c>). Harbor is optional at start:
/// webhooks are still accepted and recorded, and readiness says Harbor is not configured.</summary>
public sealed class HarborOptions
{
    public const string SectionName = "HarborBridge:Harbor";

    /// <summary>Harbor's base URL, e.g. <c>https://harbor.example.com</c> (no <c>/api/v2.0</c>).</summary>
    public string? Url { get; set; }

    /// <summary>Robot account name, e.g. <c>robot$harborbridge</c>.</summary>
    public string? Username { get; set; }

    /// <summary>Robot account secret. Secret: set it from the environment, never logged.</summary>
    public string? Password { get; set; }

    /// <summary>PEM file with the CA that signed Harbor's certificate, when it is not publicly trusted.</summary>
    public string? CaFile { get; set; }

    /// <summary>Explicit opt-in to skip TLS certificate verification (test installs only).</summary>
    public bool InsecureSkipTlsVerify { get; set; }

    /// <summary>Retries of one idempotent call (GET, HEAD, PUT, DELETE) after 429/502/503/504 or a network error.</summary>
    [Range(0, 10)]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; later ones grow exponentially, with jitter. A <c>Retry-After</c> header wins.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A <c>Retry-After</c> longer than this is not waited for: the call fails at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time limit of one HTTP attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Time limit of one call, retries included.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>User-Agent of registry (<c>/v2/</c>) calls. Harbor lets a token holder with push rights read
    /// manifests past its pull policies only when the agent contains <c>cosign</c>, which the signer needs.</summary>
    [Required(AllowEmptyStrings = false)]
    public string RegistryUserAgent { get; set; } = "harborbridge/1.0 (cosign-compatible)";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}
