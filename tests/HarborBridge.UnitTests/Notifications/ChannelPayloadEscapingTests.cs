using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;

namespace HarborBridge.UnitTests.Notifications;

/// <summary>Text that comes from outside (a release reason, Harbor's error text, a package name in a report) cannot add
/// mentions, links or formatting to Slack and Teams messages (audit finding #20).</summary>
public sealed class ChannelPayloadEscapingTests
{
    private const string Hostile = "<!channel> <https://evil.test|click> *bold* [x](https://evil.test)";

    private static NotificationContent Content() => new(
        "released", "info", "Released: web/app", "reason: " + Hostile, new ArtifactRef("web", "app", "sha256:" + new string('a', 64)), "1.0",
        [new NotificationFact("Pushed by", "[mallory](https://evil.test)")],
        [new DecidingFinding("CVE-1", "openssl<script>", "1.0", null, "HIGH", "https://avd.aquasec.com/nvd/cve-1", "Block")],
        [], [], "Nothing to do.", []);

    [Fact]
    public void Slack_HostileSummary_MentionsAndLinksEscapedInTextAndBlocks()
    {
        var body = ChannelPayloads.Slack(Content()).ToJsonString();

        Assert.DoesNotContain("<!channel>", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<https://evil.test", body, StringComparison.Ordinal);
        Assert.DoesNotContain("openssl<script>", body, StringComparison.Ordinal);
        var fallback = ChannelPayloads.Slack(Content())["text"]!.GetValue<string>();
        Assert.Contains("&lt;!channel&gt;", fallback, StringComparison.Ordinal);
    }

    [Fact]
    public void Teams_HostileText_MarkdownControlCharactersMadeLiteral()
    {
        var card = ChannelPayloads.Teams(Content())["attachments"]![0]!["content"]!;
        var summary = card["body"]![1]!["text"]!.GetValue<string>();
        var fact = card["body"]![2]!["facts"]![0]!["value"]!.GetValue<string>();

        Assert.Equal("reason: \\<\\!channel\\> \\<https://evil.test|click\\> \\*bold\\* \\[x\\]\\(https://evil.test\\)", summary);
        Assert.Equal("\\[mallory\\]\\(https://evil.test\\)", fact);
        var findings = card["body"]![4]!["text"]!.GetValue<string>();
        Assert.Contains("openssl\\<script\\>", findings, StringComparison.Ordinal);
        Assert.Contains("(https://avd.aquasec.com/nvd/cve-1)", findings, StringComparison.Ordinal);
    }
}
