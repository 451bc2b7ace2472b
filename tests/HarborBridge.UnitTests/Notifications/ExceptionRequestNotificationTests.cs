using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;

namespace HarborBridge.UnitTests.Notifications;

/// <summary>The two exception-request kinds: what the owners and the requester's team read.</summary>
public sealed class ExceptionRequestNotificationTests
{
    private static readonly ArtifactRef Artifact = new("web", "app", "sha256:" + new string('b', 64));
    private static readonly DateTimeOffset At = new(2026, 12, 5, 21, 0, 0, TimeSpan.Zero);

    private static ExceptionRequestChanged Changed(string state, string? by = null, string? comment = null) => new("exr-1", state, "CVE-2024-3094",
        "project=web repository=app", Artifact, "xz not used", new DateOnly(2026, 12, 19), "dave", "web", ["alice", "carol"], by, comment, At);

    [Fact]
    public void Render_Requested_OwnersSeeWhoMayApproveAndHow()
    {
        var e = NotificationEvent.From(Changed("requested"), "https://bridge.example.test/");

        var content = NotificationRenderer.Render(e, new NotificationLinks(null, "https://bridge.example.test"));

        Assert.Equal((NotificationKind.ExceptionRequested, "exception-requested"), (e.Kind, e.Verdict));
        Assert.Equal("Exception requested: CVE-2024-3094 for web/app@sha256:bbbbbbbbbbbb", content.Title);
        Assert.Equal("Dave asks for an exception for CVE-2024-3094 (project=web repository=app) until 2026-12-19.", content.Summary);
        var facts = content.Facts.ToDictionary(f => f.Label, f => f.Value);
        Assert.Equal("alice, carol", facts["May approve"]);
        Assert.Contains("POST https://bridge.example.test/api/v1/exceptions/requests/exr-1/approve", facts["Approve"], StringComparison.Ordinal);
        Assert.Contains("harborbridge exceptions deny exr-1", facts["Deny"], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Denied_RequesterSeesWhoAndWhy_OneMessagePerStep()
    {
        var denied = NotificationEvent.From(Changed("denied", "carol", "upgrade instead"), null);
        var requested = NotificationEvent.From(Changed("requested"), null);

        var content = NotificationRenderer.Render(denied, new NotificationLinks(null, null));

        Assert.Equal(NotificationKind.ExceptionDecided, denied.Kind);
        Assert.Equal("Exception request denied: CVE-2024-3094 for web/app@sha256:bbbbbbbbbbbb", content.Title);
        var facts = content.Facts.ToDictionary(f => f.Label, f => f.Value);
        Assert.Equal(("denied", "carol", "upgrade instead"), (facts["Outcome"], facts["Decided by"], facts["Comment"]));
        Assert.Equal("info", content.Severity);
        Assert.Equal(requested.Subject, denied.Subject); // one request, one thread
        Assert.NotEqual(requested.EventId, denied.EventId);
    }
}
