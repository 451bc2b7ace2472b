using System.Security.Cryptography;
using System.Text;
using HarborBridge.Core.Harbor;
using HarborBridge.Scheduling;
using HarborBridge.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace HarborBridge.UnitTests.Scheduling;

/// <summary>Per-project webhook trust: the reconciler's webhook repair writes each project's own header into its policy
/// (never the shared one), and rewrites a policy whose header is stale (a rotated master).</summary>
public sealed class WebhookRepairProjectSecretTests
{
    private const string Master = "per-project-master-secret-0123456789abcdef";
    private const string Address = "https://harborbridge.example.test/webhooks/harbor";

    // The documented derivation, written out independently of WebhookAuthenticator.
    private static string Expected(string master, string project) =>
        "Bearer hbp1." + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(master), Encoding.UTF8.GetBytes("harbor-webhook:" + project)));

    private static (WebhookRepair Repair, IHarborClient Harbor) Create(params HarborWebhookPolicy[] existing)
    {
        var harbor = Substitute.For<IHarborClient>();
        harbor.ListWebhookPoliciesAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(existing);
        harbor.GetProjectMetadataAsync(Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(new Dictionary<string, string> { [HarborProjectMetadata.AutoScan] = "true" });
        var services = new ServiceCollection().AddSingleton(harbor).BuildServiceProvider();
        var webhook = Options.Create(new WebhookOptions
        {
            AuthHeader = "Basic shared-header", AuthMode = WebhookAuthMode.PerProject, ProjectSecrets = new ProjectSecretOptions { Master = Master },
        });
        var schedules = Options.Create(new SchedulesOptions());
        schedules.Value.Reconciliation.WebhookAddress = Address;
        var repair = new WebhookRepair(services, schedules, new WebhookAuthenticator(webhook, TimeProvider.System), NullLogger<WebhookRepair>.Instance);
        return (repair, harbor);
    }

    [Fact]
    public async Task Repair_NoPolicy_CreatesOneWithTheProjectsOwnHeader()
    {
        var (repair, harbor) = Create();

        await repair.RepairAsync("tenanta", default);

        await harbor.Received(1).CreateWebhookPolicyAsync("tenanta",
            Arg.Is<HarborWebhookPolicy>(p => p.Targets.Single().AuthHeader == Expected(Master, "tenanta")), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Repair_PolicyWithTheSharedHeader_RewrittenWithTheProjectsOwn()
    {
        var stale = new HarborWebhookPolicy(7, WebhookRepair.PolicyName, "", true, WebhookRepair.EventTypes,
            [new HarborWebhookTarget("http", Address, "Basic shared-header", false, "CloudEvents")]);
        var (repair, harbor) = Create(stale);

        await repair.RepairAsync("tenantb", default);

        await harbor.Received(1).UpdateWebhookPolicyAsync("tenantb", 7,
            Arg.Is<HarborWebhookPolicy>(p => p.Targets.Single().AuthHeader == Expected(Master, "tenantb")), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Repair_PolicyAlreadyRight_LeftAlone()
    {
        var current = new HarborWebhookPolicy(7, WebhookRepair.PolicyName, "", true, WebhookRepair.EventTypes,
            [new HarborWebhookTarget("http", Address, Expected(Master, "tenantb"), false, "CloudEvents")]);
        var (repair, harbor) = Create(current);

        await repair.RepairAsync("tenantb", default);

        await harbor.DidNotReceiveWithAnyArgs().UpdateWebhookPolicyAsync(default!, default, default!, default);
        await harbor.DidNotReceiveWithAnyArgs().CreateWebhookPolicyAsync(default!, default!, default);
    }
}
