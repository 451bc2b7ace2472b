using HarborBridge.Core.Webhooks;

namespace HarborBridge.UnitTests.Webhooks;

public sealed class WebhookLoopFilterTests
{
    private readonly WebhookLoopFilter _filter = new(["robot$platform+harborbridge"], @"^robot\$.+-Trivy-");

    private static HarborWebhookEvent Load(string name)
    {
        var path = Fixtures.PathOf("harbor", "webhooks", name);
        return HarborWebhookParser.Parse(File.ReadAllBytes(path), Fixtures.IsCloudEvents(path) ? WebhookPayloadFormat.CloudEvents : WebhookPayloadFormat.Default);
    }

    [Theory]
    [InlineData("reconstructed/push_artifact.cosign-signature-tag.default.json", "signature")]
    [InlineData("reconstructed/pull_artifact.by-scanner-robot.default.json", "scanner robot")]
    [InlineData("docs/pull_artifact.default.json", "scanner robot")]
    public void IgnoreReason_LoopEvent_IsIgnored(string name, string reason)
    {
        Assert.Contains(reason, _filter.IgnoreReason(Load(name)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("reconstructed/push_artifact.by-tag.default.json")]
    [InlineData("docs/push_artifact.cloudevents.json")]
    [InlineData("harbor-source/pull_artifact.default.code-comment.json")]
    [InlineData("reconstructed/scanning_completed.vulnerability.default.json")]
    [InlineData("reconstructed/scanning_failed.default.json")]
    [InlineData("reconstructed/scanning_completed.sbom.default.json")] // recorded, not decided: WebhookMessagesTests
    [InlineData("docs/quota_exceed.default.json")]
    public void IgnoreReason_OrdinaryEvent_IsProcessed(string name)
    {
        Assert.Null(_filter.IgnoreReason(Load(name)));
    }

    [Fact]
    public void IgnoreReason_PushByIgnoredOperator_IsIgnored()
    {
        var push = Load("reconstructed/push_artifact.by-tag.default.json") with { Operator = "robot$platform+harborbridge" };

        Assert.Contains("IgnoredOperators", _filter.IgnoreReason(push), StringComparison.Ordinal);
    }

    [Fact]
    public void IgnoreReason_UnknownType_IsIgnoredForForwardCompatibility()
    {
        var unknown = Load("reconstructed/push_artifact.by-tag.default.json") with { Type = HarborEventType.Unknown };

        Assert.NotNull(_filter.IgnoreReason(unknown));
    }
}
