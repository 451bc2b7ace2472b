using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Signing;
using HarborBridge.UnitTests.Policy;

namespace HarborBridge.UnitTests.Signing;

public sealed class ScanEvidenceTests
{
    private const string Mime = "application/vnd.security.vulnerability.report; version=1.1";
    private const string Source = "https://harbor.example.com/api/v2.0/projects/team/repositories/app/artifacts/sha256:1/additions/vulnerabilities";
    private static readonly DateTimeOffset Started = new(2026, 11, 28, 0, 1, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Ended = new(2026, 11, 28, 0, 1, 42, TimeSpan.Zero);
    private static readonly DateTimeOffset Decided = new(2026, 11, 28, 0, 2, 0, TimeSpan.Zero);

    // The report object as Harbor's additions endpoint holds it (the value under the MIME-type key of the fixture).
    private static string FixtureReport()
    {
        using var document = JsonDocument.Parse(ReportFixtures.Bytes("harbor/vulnerabilities_addition.response.json"));
        return document.RootElement.GetProperty(Mime).GetRawText();
    }

    private static string Sha256(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static HarborScanOverview Overview(DateTimeOffset? start, DateTimeOffset? end) =>
        new(Mime, "report-1", "Success", "High", 42, 2, 1, new Dictionary<string, int>(), start, end, "Trivy", "v0.99.0");

    [Fact]
    public void FromHarbor_ReportDecidedOn_ScannerFromReportTimesFromOverview()
    {
        var json = FixtureReport();

        var evidence = ScanEvidence.FromHarbor(Sha256(json), new HarborVulnerabilityReport(Mime, json), Overview(Started, Ended), Source, Decided);

        // The fixture's scanner block reads: Trivy, Aqua Security, v0.65.0 (the overview's v0.99.0 must not win).
        Assert.Equal(new ScanEvidence("Trivy", "Aqua Security", "v0.65.0", Mime, json, Source, Started, Ended), evidence);
    }

    [Fact]
    public void FromHarbor_NoOverview_TimesFromGeneratedAt()
    {
        var json = FixtureReport();

        var evidence = ScanEvidence.FromHarbor(Sha256(json), new HarborVulnerabilityReport(Mime, json), null, Source, Decided);

        // generated_at in the fixture: 2026-08-20T09:14:16.123456789Z.
        var generated = new DateTimeOffset(2026, 8, 20, 9, 14, 16, TimeSpan.Zero);
        Assert.NotNull(evidence);
        Assert.Equal(generated, evidence.StartedOn.AddTicks(-(evidence.StartedOn.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Equal(evidence.StartedOn, evidence.FinishedOn);
    }

    [Fact]
    public void FromHarbor_NoTimesAnywhere_DecisionTime()
    {
        const string json = """{"vulnerabilities":[]}""";

        var evidence = ScanEvidence.FromHarbor(Sha256(json), new HarborVulnerabilityReport(Mime, json), null, Source, Decided);

        Assert.Equal(new ScanEvidence("unknown", "", "", Mime, json, Source, Decided, Decided), evidence);
    }

    [Fact]
    public void FromHarbor_ReportChangedSinceTheDecision_Null()
    {
        var json = FixtureReport();

        Assert.Null(ScanEvidence.FromHarbor(Sha256(json + " "), new HarborVulnerabilityReport(Mime, json), Overview(Started, Ended), Source, Decided));
        Assert.Null(ScanEvidence.FromHarbor(Sha256(json), null, Overview(Started, Ended), Source, Decided));
    }
}
