using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Harbor;
using HarborBridge.Scanning;
using Microsoft.Extensions.Options;

namespace HarborBridge.Decisions;

/// <summary>A report to decide on (<see cref="Report"/>), a scanner that failed (<see cref="Failure"/>), or a report being
/// replaced by a newer scan right now (<see cref="Pending"/>: its own result will decide). <see cref="Harbor"/> is the report
/// as Harbor returned it, when it came from Harbor: the verdict events hand it to the signer, which attests it.</summary>
internal sealed record EvidenceResult(ScanReport? Report, string? Failure, bool Pending = false, DecidedReport? Harbor = null)
{
    public static EvidenceResult Of(ScanReport report) => new(report, null);
}

/// <summary>Where an artifact's current scan report comes from. Rescans and deadlines use the same source as the first
/// decision: Harbor's report, or in direct Trivy mode a new Trivy run (never Harbor's empty report).</summary>
internal interface IScanEvidence
{
    /// <summary><c>harbor</c> or <c>trivy</c>.</summary>
    string Source { get; }

    Task<EvidenceResult> FetchAsync(ArtifactRef artifact, CancellationToken cancellationToken);
}

/// <summary>Harbor's vulnerability report, read through the API; no report at all is judged as such by the policy.</summary>
internal sealed class HarborScanEvidence(IServiceProvider services) : IScanEvidence
{
    public string Source => "harbor";

    public async Task<EvidenceResult> FetchAsync(ArtifactRef a, CancellationToken cancellationToken)
    {
        // Resolved here: the client refuses to exist without a URL, and the embedded default runs without Harbor.
        var harbor = services.GetRequiredService<IHarborClient>();
        var report = await harbor.GetVulnerabilityReportAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (report is null
            && (await harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken))?.ScanOverviews.FirstOrDefault()?.ScanStatus
                is "Pending" or "Running" or "Scheduled")
        {
            return new EvidenceResult(null, null, Pending: true);
        }

        return new EvidenceResult(ReportReader.Read(Encoding.UTF8.GetBytes(report?.Json ?? "{}")), null,
            Harbor: report is null ? null : new DecidedReport(report.MimeType, report.Json));
    }
}

/// <summary>Direct Trivy mode: every judgement runs Trivy on the digest again.</summary>
internal sealed class TrivyScanEvidence(TrivyRunner trivy) : IScanEvidence
{
    public string Source => "trivy";

    public async Task<EvidenceResult> FetchAsync(ArtifactRef a, CancellationToken cancellationToken)
    {
        try
        {
            return EvidenceResult.Of(ReportReader.Read(await trivy.ScanAsync(a, cancellationToken)));
        }
        catch (Exception e) when (e is TrivyScanException or ReportFormatException)
        {
            return new EvidenceResult(null, e.Message);
        }
    }
}
