namespace HarborBridge.Core.Findings;

/// <summary>Severity words as reports and the policy file spell them.</summary>
public static class SeverityNames
{
    /// <summary>Reads a severity from a report, tolerantly: Trivy's upper-case words, Harbor's title-case
    /// words, Harbor's <c>None</c> (= Unknown) and Clair's <c>Negligible</c> (= Low). Anything else is Unknown,
    /// because a report must never fail over a severity word a newer scanner invents.</summary>
    public static Severity FromReport(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "CRITICAL" => Severity.Critical,
        "HIGH" => Severity.High,
        "MEDIUM" => Severity.Medium,
        "LOW" or "NEGLIGIBLE" => Severity.Low,
        _ => Severity.Unknown,
    };

    /// <summary>Strict parse of one of the five words (any case), for the policy file.</summary>
    public static bool TryParseStrict(string? text, out Severity severity)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "CRITICAL": severity = Severity.Critical; return true;
            case "HIGH": severity = Severity.High; return true;
            case "MEDIUM": severity = Severity.Medium; return true;
            case "LOW": severity = Severity.Low; return true;
            case "UNKNOWN": severity = Severity.Unknown; return true;
            default: severity = Severity.Unknown; return false;
        }
    }

    public static string ToWord(this Severity severity) => severity switch
    {
        Severity.Critical => "CRITICAL",
        Severity.High => "HIGH",
        Severity.Medium => "MEDIUM",
        Severity.Low => "LOW",
        _ => "UNKNOWN",
    };
}
