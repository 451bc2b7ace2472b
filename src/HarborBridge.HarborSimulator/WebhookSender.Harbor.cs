using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Scan event bodies and delivery timing as Harbor's handlers and job service produce them (paths and lines in
/// <c>shared/reference/harbor/source/</c>).</summary>
internal sealed partial class WebhookSender
{
    public const string VulnerabilityScan = "vulnerability";
    public const string SbomScan = "sbom";
    public const string SbomMime = "application/vnd.security.sbom.report+json; version=1.0";

    /// <summary>The resource of a scan event (src/controller/event/handler/webhook/scan/scan.go:115-120, 145-168):
    /// <c>tag</c> only when the artifact has one (an untagged artifact's event has none, and its <c>resource_url</c>
    /// names the digest); <c>scan_overview</c> only for a vulnerability scan, <c>sbom_overview</c> only for an SBOM scan:
    /// scan-all and scheduled scans, whose event has no scan type, carry neither.</summary>
    private JsonObject ScanResource(SimArtifact artifact, string scanType)
    {
        var tag = artifact.Tags.LastOrDefault();
        var resource = new JsonObject { ["digest"] = artifact.Digest };
        if (tag is not null)
        {
            resource["tag"] = tag;
        }

        resource["resource_url"] = tag is null ? $"{ExternalHost}/{artifact.FullName}@{artifact.Digest}" : $"{ExternalHost}/{artifact.FullName}:{tag}";
        if (scanType == VulnerabilityScan && ScanOverview(artifact) is { } overview)
        {
            resource["scan_overview"] = overview;
        }
        else if (scanType == SbomScan && state.SbomOf(artifact) is { } sbom)
        {
            resource["sbom_overview"] = SbomOverview(artifact, sbom);
        }

        return resource;
    }

    /// <summary><c>event_data.scan</c>: <c>{"scan_type": …}</c>, or <c>{}</c> when the scan has no type (scan.go:108-110
    /// with <c>scan_type</c> omitted when empty; scan-all, reported in goharbor/harbor#22212, notes/harbor.md:182-185).</summary>
    private static JsonObject ScanData(string scanType) => scanType.Length == 0 ? [] : new JsonObject { ["scan_type"] = scanType };

    /// <summary>Harbor's SBOM overview, keys sorted as Harbor's map marshals them
    /// (tests/fixtures/harbor/webhooks/reconstructed/scanning_completed.sbom.default.json).</summary>
    private static JsonObject SbomOverview(SimArtifact artifact, SimSbom sbom) => new()
    {
        ["duration"] = sbom.EndedAt is { } end ? (long)(end - sbom.StartedAt).TotalSeconds : 0,
        ["end_time"] = sbom.EndedAt is { } e ? HarborTime.Rfc3339Nano(e) : null,
        ["report_id"] = sbom.ReportId,
        ["sbom_digest"] = sbom.Digest,
        ["sbom_repository"] = artifact.FullName,
        ["scan_status"] = sbom.Status,
        ["scanner"] = new JsonObject { ["name"] = "Trivy", ["vendor"] = "Aqua Security", ["version"] = "v0.65.0" },
        ["start_time"] = HarborTime.Rfc3339Nano(sbom.StartedAt),
    };

    /// <summary>The pause before the next attempt after <paramref name="fails"/> failed ones: Harbor's back-off scaled by
    /// <see cref="HarborSimulatorOptions.HarborBackoffScale"/> when set, otherwise the fixed test pause.</summary>
    private TimeSpan RetryDelay(int fails) => options.HarborBackoffScale is { } scale
        ? TimeSpan.FromSeconds(HarborJobService.WebhookBackoffSeconds(fails, Random.Shared.Next(30)) * scale)
        : options.WebhookRetryDelay;
}

/// <summary>How Harbor's job service delivers a webhook.</summary>
public static class HarborJobService
{
    /// <summary>The back-off after <paramref name="fails"/> failures, with <paramref name="random"/> drawn from 0..29:
    /// fails⁴ + 15 + random·(fails + 1) seconds, i.e. 16–74 s before the second attempt and 31–118 s before the third
    /// (gocraft/work worker.go <c>defaultBackoffCalculator</c>, recorded in notes/harbor.md:240-242; the job fails at
    /// most 3 times: src/jobservice/job/impl/notification/webhook_job.go:38-50).</summary>
    public static long WebhookBackoffSeconds(int fails, int random) => ((long)fails * fails * fails * fails) + 15 + (random * (fails + 1L));
}

/// <summary>Time stamps as Harbor writes them.</summary>
public static class HarborTime
{
    /// <summary>Go's <c>time.RFC3339Nano</c> of a time Harbor read from PostgreSQL (microseconds): trailing zeros of
    /// the fraction dropped, and the dot with them when nothing is left (<c>start_time</c>/<c>end_time</c> of the
    /// NativeReportSummary, notes/harbor.md:172; reconstructed/scanning_completed.sbom.default.json).</summary>
    public static string Rfc3339Nano(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        var micros = (utc.Ticks % TimeSpan.TicksPerSecond) / 10;
        var fraction = micros == 0 ? "" : "." + micros.ToString("D6", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('0');
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + fraction + "Z";
    }
}
