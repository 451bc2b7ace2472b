using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;

namespace HarborBridge.UnitTests.Notifications;

public sealed class NotificationRendererTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef Artifact = new("team", "svc/api", "sha256:" + new string('b', 64));
    private static readonly DecidingFinding A = new("CVE-A", "libA", "1.0", "1.1", "HIGH", null, "Warn");
    private static readonly DecidingFinding B = new("CVE-B", "libB", "2.0", null, "CRITICAL", null, "Block");

    [Fact]
    public void FindingSetHash_SameFindingsInAnyOrder_SameHash_OtherFindings_OtherHash()
    {
        Assert.Equal(NotificationEvent.FindingSetHash([A, B]), NotificationEvent.FindingSetHash([B, A]));
        Assert.NotEqual(NotificationEvent.FindingSetHash([A, B]), NotificationEvent.FindingSetHash([A]));
        Assert.NotEqual(NotificationEvent.FindingSetHash([A]), NotificationEvent.FindingSetHash([A with { FixedVersion = "1.2" }]));
    }

    [Fact]
    public void Render_AtRisk_TellsFixBySeverityOrderAndLinks()
    {
        var e = NotificationEvent.From(new ArtifactAtRisk("d1", Artifact, "v3", "pv", "rd", "a rescan found blocking findings", [A, B], At.AddDays(7), At));

        var c = NotificationRenderer.Render(e, new NotificationLinks("https://h/{project}/{repository}/{digest}", "https://b/"), "bob");

        Assert.Equal("at-risk", c.Kind);
        Assert.Equal("error", c.Severity);
        Assert.Equal("At risk: team/svc/api:v3@sha256:bbbbbbbbbbbb", c.Title);
        Assert.Equal("A rescan found blocking findings. Deciding findings: 1 CRITICAL, 1 HIGH.", c.Summary);
        Assert.Equal(["CVE-B", "CVE-A"], c.Findings.Select(f => f.Id));
        Assert.Contains(new NotificationFact("Fix by", "2026-12-04 08:00 UTC"), c.Facts);
        Assert.Contains(new NotificationFact("Pushed by", "bob"), c.Facts);
        Assert.Equal([$"https://h/team/svc%252Fapi/{Artifact.Digest}", $"https://b/api/v1/artifacts/{Artifact.Digest}"], c.Links.Select(l => l.Url));
    }

    [Fact]
    public void Render_OperatorAlertAndExpiredException_HaveNoArtifactLinks()
    {
        var alert = NotificationRenderer.Render(NotificationEvent.From(new OperatorAlertRaised("k1", "signing", "Signing key unreadable", "Check the key file", null, At)),
            new NotificationLinks("https://h/{digest}", "https://b"));
        var expired = NotificationRenderer.Render(NotificationEvent.From(new ExceptionExpiring("CVE-X", "web/*", "ann", "T-1", "vendor fix pending", At, 0, At)),
            new NotificationLinks(null, null));

        Assert.Equal("Operator alert: Signing key unreadable", alert.Title);
        Assert.Empty(alert.Links);
        Assert.Equal("Exception CVE-X: the exception has expired", expired.Title);
        Assert.Contains(new NotificationFact("Owner", "ann"), expired.Facts);
    }

    [Fact]
    public void Digest_CountsPerVerdict_QuarantinedFirst()
    {
        var other = new ArtifactRef("team", "svc/web", "sha256:" + new string('c', 64));

        var c = NotificationDigest.Render("team", At.AddDays(-1), At,
            [new DigestEntry("warned", Artifact, "v1"), new DigestEntry("quarantined", other, null), new DigestEntry("warned", other, "v2")]);

        Assert.Equal("Daily digest for team: 1 quarantined, 2 warned", c.Title);
        Assert.Equal(new NotificationFact("Period", "2026-11-26 08:00 to 2026-11-27 08:00 UTC"), c.Facts[1]);
        Assert.Equal(new NotificationFact("warned", $"team/svc/api:v1@{Artifact.Digest}\nteam/svc/web:v2@{other.Digest}"), c.Facts[3]);
    }
}
