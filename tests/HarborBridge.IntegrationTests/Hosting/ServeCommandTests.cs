using HarborBridge.Cli;

namespace HarborBridge.IntegrationTests.Hosting;

/// <summary>`harborbridge serve` as an admin runs it: bad settings stop it at start with exit 1 and a
/// message that names the setting, not a stack trace.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ServeCommandTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] settings)
    {
        var database = Path.Combine(Path.GetTempPath(), $"hb-cli-{Guid.NewGuid():N}.db");
        string[] args = ["serve", "--urls", "http://127.0.0.1:0", $"--HarborBridge:Database:ConnectionString=Data Source={database}", .. settings];
        var original = Console.Out;
        var capture = new StringWriter();
        Console.SetOut(capture);
        try
        {
            var run = CliApp.RunAsync(args);
            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(finished == run, "serve did not stop on a bad setting");
            return (await run, capture.ToString());
        }
        finally
        {
            Console.SetOut(original);
            File.Delete(database);
        }
    }

    [Fact]
    public async Task Serve_NoWebhookAuthHeader_Exit1NamingTheSetting()
    {
        var (exit, output) = await RunAsync();

        Assert.Equal(1, exit);
        Assert.Contains("HarborBridge:Webhook:AuthHeader is not set", output, StringComparison.Ordinal);
        Assert.Contains("AllowUnauthenticated", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--HarborBridge:Webhook:MaxBodyBytes=12", "HarborBridge:Webhook:MaxBodyBytes")]
    [InlineData("--HarborBridge:RabbitMq:Port=70000", "HarborBridge:RabbitMq:Port")]
    [InlineData("--HarborBridge:Harbor:Url=not a url", "HarborBridge:Harbor:Url")]
    [InlineData("--HarborBridge:Transport=Kafka", "HarborBridge:Transport")]
    [InlineData("--HarborBridge:Database:Provider=Oracle", "HarborBridge:Database:Provider")]
    [InlineData("--HarborBridge:Messaging:StopTimeout=00:00:00", "HarborBridge:Messaging:StopTimeout")]
    public async Task Serve_InvalidSetting_Exit1NamingTheSetting(string setting, string named)
    {
        var (exit, output) = await RunAsync("--HarborBridge:Webhook:AuthHeader=Basic abc", setting);

        Assert.Equal(1, exit);
        Assert.Contains("Invalid configuration", output, StringComparison.Ordinal);
        Assert.Contains(named, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--HarborBridge:Admin:Token=short-token", "HarborBridge:Admin:Token is 11 characters long; use at least 32")]
    [InlineData("--HarborBridge:Transport=RabbitMq|--HarborBridge:RabbitMq:Host=rabbit.example.test", "default guest account is refused")]
    [InlineData("--HarborBridge:Harbor:PasswordFile=/nonexistent/harbor-password", "HarborBridge:Harbor:PasswordFile: cannot read")]
    public async Task Serve_WeakOrUnreadableSecret_Exit1NamingTheSetting(string settings, string expected)
    {
        var (exit, output) = await RunAsync(["--HarborBridge:Webhook:AuthHeader=Basic abc", .. settings.Split('|')]);

        Assert.Equal(1, exit);
        Assert.Contains("Invalid configuration", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--HarborBridge:Transport=Kafka", "HarborBridge:Transport: 'Kafka' is not valid; expected one of InMemory, RabbitMq")]
    [InlineData("--HarborBridge:Database:Provider=Oracle", "HarborBridge:Database:Provider: 'Oracle' is not valid; expected one of Sqlite, Postgres")]
    [InlineData("--HarborBridge:Policy:ScanTimeout=15m", "HarborBridge:Policy:ScanTimeout: '15m' is not valid; expected a time span written [d.]hh:mm:ss")]
    public async Task Serve_BadEnumOrTimeSpan_Exit1ListingTheValidValuesOrTheFormat(string setting, string expected)
    {
        var (exit, output) = await RunAsync("--HarborBridge:Webhook:AuthHeader=Basic abc", setting);

        Assert.Equal(1, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Failed to convert", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_PolicyFileSetButMissing_Exit1NamingTheSetting()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"hb-policy-{Guid.NewGuid():N}", "policy.yaml");

        var (exit, output) = await RunAsync("--HarborBridge:Webhook:AuthHeader=Basic abc", $"--HarborBridge:Policy:File={missing}");

        Assert.Equal(1, exit);
        Assert.Contains($"HarborBridge:Policy:File: {missing} does not exist", output, StringComparison.Ordinal);
        Assert.DoesNotContain("built-in", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_PolicyFileDoesNotParse_Exit1NamingTheSettingAndLine()
    {
        var file = Path.Combine(Path.GetTempPath(), $"hb-policy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "version: 1\ndefaults:\n  blok: { severity: HIGH }\n");
        try
        {
            var (exit, output) = await RunAsync("--HarborBridge:Webhook:AuthHeader=Basic abc", $"--HarborBridge:Policy:File={file}");

            Assert.Equal(1, exit);
            Assert.Contains($"HarborBridge:Policy:File: {file}: line 3", output, StringComparison.Ordinal);
            Assert.Contains("blok", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Serve_UnknownRole_Exit2()
    {
        var original = Console.Error;
        var capture = new StringWriter();
        Console.SetError(capture);
        try
        {
            Assert.Equal(2, await CliApp.RunAsync(["serve", "--roles", "webhook,janitor"]));
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Contains("Unknown role 'janitor'", capture.ToString(), StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
