using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Options;

namespace HarborBridge.ArtifactSigning;

/// <summary>
/// Reads the scan report a decision was made from again from Harbor at signing time (the decision messages carry only
/// its digest), for the vulnerability attestation. Harbor keeps the report for as long as the artifact has not been
/// rescanned; when the report there is no longer the one decided on (a rescan, which brings its own decision) or the
/// decision was not made from Harbor's report (direct Trivy mode, image index), no vulnerability attestation is attached.
/// </summary>
internal sealed partial class ScanEvidenceSource(
    IServiceProvider services,
    IOptions<SigningOptions> signing,
    IOptions<HarborOptions> harbor,
    ILogger<ScanEvidenceSource> logger)
{
    public async Task<SigningDecision> WithEvidenceAsync(ArtifactRef artifact, SigningDecision decision, CancellationToken cancellationToken)
    {
        // Keyless mode writes no attestations, so it needs no report.
        if (!signing.Value.Attest || signing.Value.IsKeyless || decision.ReportDigest.Length == 0)
        {
            return decision;
        }

        // Resolved here, not injected: the Harbor client refuses to exist without a URL, and signing may be off.
        var client = services.GetRequiredService<IHarborClient>();
        HarborVulnerabilityReport? report;
        try
        {
            report = await client.GetVulnerabilityReportAsync(artifact.Project, artifact.Repository, artifact.Digest, cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode == 404)
        {
            // Harbor does not know the artifact (deleted, or pushed past Harbor): there is no report to attach, and the
            // signature itself does not depend on one.
            report = null;
        }

        if (report is null || ScanEvidence.DigestOf(report.Json) != decision.ReportDigest)
        {
            LogNoReport(logger, artifact.Project, artifact.Repository, artifact.Digest, decision.ReportDigest);
            return decision;
        }

        var overviews = (await client.GetArtifactAsync(artifact.Project, artifact.Repository, artifact.Digest, cancellationToken))?.ScanOverviews ?? [];
        var overview = overviews.FirstOrDefault(o => o.MimeType == report.MimeType) ?? overviews.FirstOrDefault();
        var source = $"{harbor.Value.Url!.TrimEnd('/')}/api/v2.0/projects/{Uri.EscapeDataString(artifact.Project)}/repositories/" +
                     $"{Uri.EscapeDataString(Uri.EscapeDataString(artifact.Repository))}/artifacts/{artifact.Digest}/additions/vulnerabilities";
        return decision with { Scan = ScanEvidence.FromHarbor(decision.ReportDigest, report, overview, source, decision.DecidedAt) };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor no longer holds report {ReportDigest} of {Project}/{Repository}@{Digest} (rescanned since the decision, or not decided from Harbor's report); signing without a vulnerability attestation")]
    private static partial void LogNoReport(ILogger logger, string project, string repository, string digest, string reportDigest);
}
