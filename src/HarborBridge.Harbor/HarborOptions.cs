using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Harbor;

/// <summary>How to reach Harbor (section <c>HarborBridge:Harbor</c>). Harbor is optional at start:
/// webhooks are still accepted and recorded, and readiness says Harbor is not configured.</summary>
public sealed class HarborOptions
{
    public const string SectionName = "HarborBridge:Harbor";

    /// <summary>Harbor's base URL, e.g. <c>https://harbor.example.com</c>.</summary>
    [Url]
    public string? Url { get; set; }

    /// <summary>Robot account name, e.g. <c>robot$harborbridge</c>.</summary>
    public string? Username { get; set; }

    /// <summary>Robot account secret. Secret: set it from the environment, never logged.</summary>
    public string? Password { get; set; }

    /// <summary>PEM file with the CA that signed Harbor's certificate, when it is not publicly trusted.</summary>
    public string? CaFile { get; set; }

    /// <summary>Explicit opt-in to skip TLS certificate verification (test installs only).</summary>
    public bool InsecureSkipTlsVerify { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}
