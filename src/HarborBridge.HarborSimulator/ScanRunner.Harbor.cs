using System.Security.Cryptography;
using System.Text;

namespace HarborBridge.HarborSimulator;

/// <summary>Scans Harbor starts by itself or on request besides a vulnerability scan of one artifact: scan-all (and its
/// schedule) and SBOM generation.</summary>
internal sealed partial class ScanRunner
{
    /// <summary>Scan-all (<c>POST /system/scanAll/schedule</c> with type Manual, or the schedule firing): every image in
    /// every project is scanned again, and each event has no scan type, so <c>"scan": {}</c> and no overview
    /// (WebhookSender.ScanResource). The operator is the user who started it, or <c>harbor-jobservice</c> for the
    /// schedule (notes/harbor.md:161-163). Returns how many scans started.</summary>
    public int ScanAll(string @operator)
    {
        List<SimArtifact> images;
        lock (state.Sync)
        {
            images = state.Artifacts.Where(a => a.Scannable).ToList();
        }

        return images.Count(image => TryStart(image, @operator, scanType: ""));
    }

    /// <summary>Generates an SBOM (<c>POST …/scan</c> with <c>{"scan_type": "sbom"}</c>): the artifact gets an
    /// <c>sbom.harbor</c> accessory (recorded here, not pushed to the registry), and SCANNING_COMPLETED goes out with
    /// <c>scan_type</c> "sbom" and an <c>sbom_overview</c> instead of a <c>scan_overview</c>
    /// (src/controller/event/handler/webhook/scan/scan.go:153-168). The vulnerability report is not touched.</summary>
    public void StartSbom(SimArtifact artifact, string @operator)
    {
        var started = time.GetUtcNow();
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"sbom {artifact.Digest} {Guid.NewGuid()}")));
        var sbom = new SimSbom { ReportId = Guid.NewGuid().ToString(), Digest = digest, StartedAt = started };
        state.SetSbom(artifact, sbom);
        _ = Task.Run(async () =>
        {
            await Task.Delay(options.ScanDelay);
            lock (state.Sync)
            {
                sbom.Status = "Success";
                sbom.EndedAt = time.GetUtcNow();
                state.Accessories.Add(new SimAccessory(state.NextId(), digest, "sbom.harbor", artifact.Digest, 1024, sbom.EndedAt.Value));
            }

            webhooks.ScanFinished("SCANNING_COMPLETED", artifact, @operator, WebhookSender.SbomScan);
        });
    }
}
