using System.Text.Json.Nodes;

namespace HarborBridge.HarborSimulator;

/// <summary>Runs "scans": after a delay the artifact gets the report configured for its repository (or fails),
/// and SCANNING_COMPLETED / SCANNING_FAILED / SCANNING_STOPPED go out.</summary>
internal sealed partial class ScanRunner(SimulatorState state, HarborSimulatorOptions options, WebhookSender webhooks, TimeProvider time)
{
    private static readonly JsonObject CleanReport = new()
    {
        ["scanner"] = new JsonObject { ["name"] = "Trivy", ["vendor"] = "Aqua Security", ["version"] = "v0.65.0" },
        ["severity"] = "None",
        ["vulnerabilities"] = new JsonArray(),
    };

    /// <summary>Scans an image, or each child of an index (one SCANNING_* event per child, as Harbor sends).
    /// False when a scan is already Pending or Running (Harbor's 409).</summary>
    public bool StartAll(SimArtifact artifact, string @operator)
    {
        if (!artifact.IsIndex)
        {
            return TryStart(artifact, @operator);
        }

        List<SimArtifact> children;
        lock (state.Sync)
        {
            children = state.Artifacts.Where(a => a.Project == artifact.Project && a.Repository == artifact.Repository && artifact.Children.Contains(a.Digest)).ToList();
        }

        var started = false;
        foreach (var child in children)
        {
            started |= TryStart(child, @operator);
        }

        return started;
    }

    /// <summary>False when a scan of this artifact is already Pending or Running (Harbor's 409). <paramref name="scanType"/>
    /// is what the scan event will say: "vulnerability", or "" for scan-all and scheduled scans.</summary>
    public bool TryStart(SimArtifact artifact, string @operator, string scanType = WebhookSender.VulnerabilityScan)
    {
        SimScan scan;
        lock (state.Sync)
        {
            if (artifact.Scan is { Status: "Pending" or "Running" })
            {
                return false;
            }

            scan = new SimScan { ReportId = Guid.NewGuid().ToString(), StartedAt = time.GetUtcNow(), Status = "Running", Cancel = new CancellationTokenSource() };
            artifact.Scan = scan;
        }

        state.CountScanStart(artifact.Digest);
        _ = Task.Run(() => RunAsync(artifact, scan, @operator, scanType));
        return true;
    }

    public bool Stop(SimArtifact artifact, string @operator)
    {
        lock (state.Sync)
        {
            if (artifact.Scan is not { Status: "Pending" or "Running" } scan)
            {
                return false;
            }

            scan.Status = "Stopped";
            scan.EndedAt = time.GetUtcNow();
            scan.Cancel?.Cancel();
        }

        webhooks.ScanFinished("SCANNING_STOPPED", artifact, @operator);
        return true;
    }

    private async Task RunAsync(SimArtifact artifact, SimScan scan, string @operator, string scanType)
    {
        try
        {
            await Task.Delay(options.ScanDelay, scan.Cancel!.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Harbor's scanner pulls the image with a per-scan robot, which fires PULL_ARTIFACT.
        webhooks.ArtifactPulled(artifact, artifact.Digest, $"robot${artifact.Project}+{Guid.NewGuid().ToString("N")[..8]}-Trivy-{Guid.NewGuid()}");
        var fails = options.FailingScans.Contains(artifact.FullName);
        var report = fails ? null : LoadReport(artifact.FullName);
        lock (state.Sync)
        {
            if (scan.Status != "Running")
            {
                return;
            }

            scan.EndedAt = time.GetUtcNow();
            scan.Status = report is null ? "Error" : "Success";
            if (report is not null)
            {
                SimulatorState.StampReport(report, scan.EndedAt.Value);
            }

            scan.Report = report;
        }

        webhooks.ScanFinished(report is null ? "SCANNING_FAILED" : "SCANNING_COMPLETED", artifact, @operator, scanType);
    }

    private const string LegacyVulnerabilityMime = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";

    private JsonObject? LoadReport(string repository)
    {
        var file = options.Reports.GetValueOrDefault(repository) ?? options.DefaultReportFile;
        if (file is null)
        {
            return (JsonObject)CleanReport.DeepClone();
        }

        var node = JsonNode.Parse(File.ReadAllText(file))?.AsObject();
        // Either the addition map keyed by a report MIME type (1.1, or the legacy 1.0 of older scanners) or the bare report object.
        var keyed = node?[WebhookSender.VulnerabilityMime] ?? node?[LegacyVulnerabilityMime];
        return keyed?.AsObject().DeepClone().AsObject() ?? node;
    }
}
