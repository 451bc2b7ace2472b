using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Options;

namespace HarborBridge.ArtifactSigning;

/// <summary>
/// The scan report a decision was made from, for the vulnerability attestation: the one the verdict event carries
/// (<see cref="DecidedReport"/>, checked against the decision's report digest), so signing makes no Harbor request;
/// otherwise (a verdict published again from the stored decision, a sender older than that field) read again from Harbor.
/// Harbor keeps the report for as long as the artifact has not been rescanned; when the report there is no longer the one
/// decided on (a rescan, which brings its own decision) or the decision was not made from Harbor's report (direct Trivy
/// mode, image index), no vulnerability attestation is attached. A handed report has no scan overview: the attestation's
/// scan times are then the report's <c>generated_at</c>.
/// </summary>
internal sealed partial class ScanEvidenceSource(
    IServiceProvider services,
    IOptions<SigningOptions> signing,
    IOptions<HarborOptions> harbor,
    ILogger<ScanEvidenceSource> logger)
{
    public async Task<SigningDecision> WithEvidenceAsync(ArtifactRef artifact, SigningDecision decision, DecidedReport? handed, CancellationToken cancellationToken)
    {
        // Keyless mode writes no attestations, so it needs no report.
        if (!signing.Value.Attest || signing.Value.IsKeyless || decision.ReportDigest.Length == 0)
        {
            return decision;
        }

        if (handed is not null && ScanEvidence.FromHarbor(decision.ReportDigest, new HarborVulnerabilityReport(handed.MimeType, handed.Json), null,
                SourceOf(artifact), decision.DecidedAt) is { } carried)
        {
            return decision with { Scan = carried };
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
        return decision with { Scan = ScanEvidence.FromHarbor(decision.ReportDigest, report, overview, SourceOf(artifact), decision.DecidedAt) };
    }

    private string SourceOf(ArtifactRef artifact) =>
        $"{harbor.Value.Url!.TrimEnd('/')}/api/v2.0/projects/{Uri.EscapeDataString(artifact.Project)}/repositories/" +
        $"{Uri.EscapeDataString(Uri.EscapeDataString(artifact.Repository))}/artifacts/{artifact.Digest}/additions/vulnerabilities";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor no longer holds report {ReportDigest} of {Project}/{Repository}@{Digest} (rescanned since the decision, or not decided from Harbor's report); signing without a vulnerability attestation")]
    private static partial void LogNoReport(ILogger logger, string project, string repository, string digest, string reportDigest);
}
