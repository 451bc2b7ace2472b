using HarborBridge.Harbor;
using HarborBridge.Hosting;
using HarborBridge.Policy;
using HarborBridge.Scanning;
using HarborBridge.Signing.Registry;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>The few lines <c>serve</c> prints at start: what an operator checks first (which roles, which broker and
/// database, which Harbor, which policy file, which key, which URLs), and never a password, token or secret.</summary>
public sealed class StartupSummaryTests
{
    private const string RabbitPassword = "rabbit-pw-7f3a91";
    private const string DatabasePassword = "db-pw-c04e22";
    private const string HarborPassword = "harbor-robot-secret-5d1b";
    private const string UrlPassword = "url-pw-9e8d";
    private const string KeyPassword = "key-pw-aa0137";

    private static StartupSummary.Settings Production(string policyFile) => new(
        ServerRoles.Worker | ServerRoles.Scheduler,
        new HarborBridgeOptions { Transport = TransportKind.RabbitMq },
        new RabbitMqOptions { Host = "rabbit.internal", Port = 5671, UseTls = true, VirtualHost = "hb", Username = "harborbridge", Password = RabbitPassword },
        new DatabaseOptions
        {
            Provider = DatabaseProvider.Postgres,
            ConnectionString = $"Host=db.internal;Port=5433;Database=harborbridge;Username=hb;Password={DatabasePassword}",
        },
        new HarborOptions { Url = $"https://admin:{UrlPassword}@harbor.example.com", Username = "robot$harborbridge", Password = HarborPassword },
        new TrivyOptions(),
        new PolicyOptions { File = policyFile },
        new SigningOptions { KeyFile = "/secure/harborbridge.key", KeyPassword = KeyPassword, Format = SignatureFormat.Both });

    [Fact]
    public void Lines_ProductionSettings_NameEachPlaceAndNoSecret()
    {
        var policy = Path.Combine(AppContext.BaseDirectory, "config", "policy.yaml");

        var text = string.Join("\n", StartupSummary.Lines(Production(policy), ["http://0.0.0.0:8080"]));

        Assert.Contains("roles:     worker, scheduler", text, StringComparison.Ordinal);
        Assert.Contains("amqps://rabbit.internal:5671/hb as harborbridge", text, StringComparison.Ordinal);
        Assert.Contains("Postgres (Host=db.internal; Port=5433; Database=harborbridge)", text, StringComparison.Ordinal);
        Assert.Contains("https://harbor.example.com as robot$harborbridge", text, StringComparison.Ordinal);
        Assert.Contains(policy, text, StringComparison.Ordinal);
        Assert.Contains("key /secure/harborbridge.key, format both", text, StringComparison.Ordinal);
        Assert.Contains("listening: http://0.0.0.0:8080", text, StringComparison.Ordinal);
        foreach (var secret in new[] { RabbitPassword, DatabasePassword, HarborPassword, UrlPassword, KeyPassword, "Password=", "admin:" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Lines_EmbeddedDefault_SaysInMemoryRecordOnlyBuiltInPolicyAndSigningOff()
    {
        var settings = new StartupSummary.Settings(ServerRoles.All, new HarborBridgeOptions(), new RabbitMqOptions(), new DatabaseOptions(),
            new HarborOptions(), new TrivyOptions(), new PolicyOptions { File = "no/such/policy.yaml" }, new SigningOptions());

        var lines = StartupSummary.Lines(settings, ["http://127.0.0.1:8080"]);

        Assert.Equal(
        [
            "roles:     webhook, worker, scheduler",
            "transport: in-memory (one process; events not yet processed are lost on stop)",
            "database:  Sqlite (Data Source=harborbridge.db)",
            "harbor:    not configured: record-only (webhooks are recorded; nothing is scanned, signed or quarantined)",
            "policy:    no/such/policy.yaml not found: built-in defaults (block CRITICAL, warn HIGH)",
            "signing:   off (no HarborBridge:Signing:KeyFile)",
            "listening: http://127.0.0.1:8080",
        ], lines);
    }

    [Fact]
    public void Lines_KeylessWithTrivy_NamesFulcioRekorAndTrivy()
    {
        var settings = Production("policy.yaml") with
        {
            Signing = new SigningOptions { Mode = SigningMode.Keyless, FulcioUrl = "https://fulcio.example", RekorUrl = "https://rekor.example" },
            Trivy = new TrivyOptions { Enabled = true },
        };

        var text = string.Join("\n", StartupSummary.Lines(settings, []));

        Assert.Contains("signing:   keyless (Fulcio https://fulcio.example, Rekor https://rekor.example)", text, StringComparison.Ordinal);
        Assert.Contains("scans with trivy", text, StringComparison.Ordinal);
        Assert.Contains("listening: (no HTTP endpoint)", text, StringComparison.Ordinal);
    }
}
