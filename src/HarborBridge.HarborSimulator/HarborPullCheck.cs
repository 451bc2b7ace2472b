using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>
/// The rules of Harbor's pull checks (the <c>vulnerable</c> and <c>contenttrust</c> middlewares of
/// <c>GET|HEAD /v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>), written after Harbor's own Go source. Paths and lines
/// refer to the copy in <c>shared/reference/harbor/source/</c> (goharbor/harbor at c50c7ddd6ea4e335a480b49c618281882ab7eec9).
/// Pure functions, so that <c>HarborFidelityTests</c> can hold each one against the cited lines.
/// </summary>
public static class HarborPullCheck
{
    /// <summary>Metadata key: <c>src/pkg/project/models/pro_meta.go:25</c>.</summary>
    public const string ReuseSysCveAllowlist = "reuse_sys_cve_allowlist";

    /// <summary><c>src/server/middleware/contenttrust/contentrust.go:50</c>.</summary>
    public const string NotSignedByCosign = "The image is not signed by cosign.";

    /// <summary><c>src/server/middleware/contenttrust/contentrust.go:58</c>.</summary>
    public const string NotSignedByNotation = "The image is not signed by notation.";

    /// <summary>Harbor's <c>isTrue</c> for metadata strings: "true" or "1", any case
    /// (<c>src/pkg/project/models/project.go:278-287</c>).</summary>
    public static bool IsTrue(string? value) => value is not null && value.ToLowerInvariant() is "true" or "1";

    /// <summary><c>Project.ReuseSysCVEAllowlist</c>: a missing key means true (<c>src/pkg/project/models/project.go:125-131</c>).</summary>
    public static bool ReusesSystemAllowlist(IReadOnlyDictionary<string, string> metadata) =>
        !metadata.TryGetValue(ReuseSysCveAllowlist, out var value) || IsTrue(value);

    /// <summary>The allowlist the pull check uses (<c>project.WithEffectCVEAllowlist()</c>,
    /// <c>src/server/middleware/vulnerable/vulnerable.go:53</c>): the system list when the project reuses it, its own
    /// list otherwise (<c>src/controller/project/controller.go:306-323</c>).</summary>
    public static (IReadOnlyList<string> CveIds, long? ExpiresAt) EffectiveAllowlist(
        IReadOnlyDictionary<string, string> metadata, (IReadOnlyList<string> CveIds, long? ExpiresAt) project, (IReadOnlyList<string> CveIds, long? ExpiresAt) system) =>
        ReusesSystemAllowlist(metadata) ? system : project;

    /// <summary><c>CVEAllowlist.IsExpired</c>: never without an expiry, otherwise from the second it names on
    /// (<c>src/pkg/allowlist/models/cve_allowlist.go:52-57</c>).</summary>
    public static bool IsExpired(long? expiresAt, DateTimeOffset now) => expiresAt is { } at && now.ToUnixTimeSeconds() >= at;

    /// <summary><c>vuln.ParseSeverityVersion3</c> of the project's <c>severity</c> (absent = "",
    /// <c>src/pkg/project/models/project.go:134-140</c>): title case, Negligible counts as None, anything else
    /// unknown is Unknown (<c>src/pkg/scan/vuln/severity.go:76-89</c>).</summary>
    public static string ParseSeverityVersion3(string? value)
    {
        var text = value ?? "";
        var title = text.Length == 0 ? "" : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();
        return title switch
        {
            "None" or "Low" or "Medium" or "High" or "Critical" => title,
            "Negligible" => "None",
            _ => "Unknown",
        };
    }

    /// <summary><c>Severity.Code</c>, case-sensitive; an unrecognised value ranks highest (99)
    /// (<c>src/pkg/scan/vuln/severity.go:51-69</c>).</summary>
    public static int Code(string? severity) => severity switch
    {
        "None" or "Unknown" => 0,
        "Negligible" => 1,
        "Low" => 2,
        "Medium" => 3,
        "High" => 4,
        "Critical" => 5,
        _ => 99,
    };

    /// <summary><c>GetVulnerable</c> on a successful report: the items not bypassed by the allowlist (the whole list is
    /// ignored once expired), and the highest severity among them, or null when none is left
    /// (<c>src/controller/scan/base_controller.go:823-845</c>).</summary>
    public static (int Count, string? Severity) Vulnerable(JsonObject? report, IReadOnlyCollection<string> allowlist, bool allowlistExpired)
    {
        var count = 0;
        var severity = "";
        foreach (var item in report?["vulnerabilities"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var id = item["id"]?.GetValue<string>() ?? "";
            if (!allowlistExpired && allowlist.Contains(id))
            {
                continue;
            }

            count++;
            var itemSeverity = item["severity"]?.GetValue<string>() ?? "";
            if (severity.Length == 0 || Code(itemSeverity) > Code(severity))
            {
                severity = itemSeverity;
            }
        }

        return (count, severity.Length == 0 ? null : severity);
    }

    private static string Policy(string projectSeverity) =>
        $"'Prevent images with vulnerability severity of \"{projectSeverity}\" or higher from running.' ";

    /// <summary>A scannable artifact without a report (<c>src/server/middleware/vulnerable/vulnerable.go:99-100</c>).</summary>
    public static string WithoutScanMessage(string projectSeverity) =>
        $"current image without vulnerability scanning cannot be pulled due to configured policy in {Policy(projectSeverity)}"
        + "To continue with pull, please contact your project administrator for help.";

    /// <summary>A report that is not a success (<c>src/server/middleware/vulnerable/vulnerable.go:118-119</c>).</summary>
    public static string ScanStatusMessage(string scanStatus, string projectSeverity) =>
        $"current image with \"{scanStatus}\" status of vulnerability scanning cannot be pulled due to configured policy in {Policy(projectSeverity)}"
        + "To continue with pull, please contact your project administrator for help.";

    /// <summary>Findings at or above the threshold; "vulnerability" for one, "vulnerabilities" for more
    /// (<c>src/server/middleware/vulnerable/vulnerable.go:125-131</c>).</summary>
    public static string VulnerableMessage(int count, string projectSeverity) =>
        $"current image with {count} {(count > 1 ? "vulnerabilities" : "vulnerability")} cannot be pulled due to configured policy in {Policy(projectSeverity)}"
        + "To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.";

    /// <summary><c>SkipPolicyChecking</c> (<c>src/server/middleware/util/util.go:62-86</c>): a registry token
    /// (<c>v2token</c>) that may scanner-pull, or may push and comes with a User-Agent containing "cosign" or "notation"
    /// (case-sensitive <c>strings.Contains</c>); or the pulled artifact is itself a cosign or notation signature.</summary>
    public static bool SkipPolicyChecking(bool bearerToken, IReadOnlySet<string> tokenActions, string userAgent, string? pulledAccessoryType) =>
        (bearerToken && (tokenActions.Contains("scanner-pull")
            || (tokenActions.Contains("push") && (userAgent.Contains("cosign", StringComparison.Ordinal) || userAgent.Contains("notation", StringComparison.Ordinal)))))
        || pulledAccessoryType is "signature.cosign" or "signature.notation";
}
