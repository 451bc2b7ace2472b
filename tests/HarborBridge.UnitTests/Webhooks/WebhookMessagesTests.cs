using HarborBridge.Contracts;
using HarborBridge.Core.Webhooks;

namespace HarborBridge.UnitTests.Webhooks;

public sealed class WebhookMessagesTests
{
    private static HarborWebhookEvent Load(string name)
    {
        var path = Fixtures.PathOf("harbor", "webhooks", name);
        return HarborWebhookParser.Parse(File.ReadAllBytes(path), Fixtures.IsCloudEvents(path) ? WebhookPayloadFormat.CloudEvents : WebhookPayloadFormat.Default);
    }

    [Fact]
    public void From_Push_GivesArtifactPushedWithDigestReference()
    {
        var message = Assert.IsType<ArtifactPushed>(Assert.Single(WebhookMessages.From(Load("reconstructed/push_artifact.by-tag.default.json"))));

        Assert.Equal(new ArtifactRef("payments", "team/api", "sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f"), message.Artifact);
        Assert.Equal("ci-bot", message.Pusher);
        Assert.NotNull(message.Tag);
    }

    [Theory]
    [InlineData("reconstructed/scanning_failed.default.json", "Error")]
    [InlineData("reconstructed/scanning_stopped.default.json", "Stopped")]
    public void From_ScanFailure_GivesScanFailedWithStatus(string name, string status)
    {
        var message = Assert.IsType<ScanFailed>(Assert.Single(WebhookMessages.From(Load(name))));

        Assert.Equal(status, message.ScanStatus);
    }

    [Fact]
    public void From_ScanAll_GivesScanCompletedWithoutSummary()
    {
        var message = Assert.IsType<ScanCompleted>(Assert.Single(WebhookMessages.From(Load("reconstructed/scanning_completed.scan-all.default.json"))));

        Assert.Null(message.Summary);
    }

    [Fact]
    public void From_SbomGeneration_RecordedAsARegistryEventNotAScan()
    {
        var message = Assert.IsType<RegistryEventReceived>(Assert.Single(WebhookMessages.From(Load("reconstructed/scanning_completed.sbom.default.json"))));

        Assert.Equal("SCANNING_COMPLETED", message.EventType);
        Assert.Equal("sha256:2e8f7b3c1a9d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", message.Digest);
        Assert.Equal(("payments", "team/api"), (message.Project, message.Repository));
        Assert.Contains("SBOM", message.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void From_Replication_GivesRegistryEvent()
    {
        var message = Assert.IsType<RegistryEventReceived>(Assert.Single(WebhookMessages.From(Load("reconstructed/replication.default.json"))));

        Assert.Equal("REPLICATION", message.EventType);
        Assert.Contains("status=", message.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void From_SameWebhookTwice_SameMessageIds()
    {
        var webhook = Load("docs/scanning_completed.cloudevents.json");

        var first = WebhookMessages.From(webhook).Cast<ScanCompleted>().Select(m => m.EventId);
        var second = WebhookMessages.From(webhook).Cast<ScanCompleted>().Select(m => m.EventId);

        Assert.Equal(first, second);
    }
}
