using HarborBridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>Insecure switches are each announced once at start, and secrets can come from files (audit #13, #21).</summary>
public sealed class SecuritySettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hb-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<string> WarningsFor(Dictionary<string, string?> settings, string[]? commandLine = null)
    {
        var builder = new ConfigurationBuilder().AddInMemoryCollection(settings);
        if (commandLine is not null)
        {
            builder.AddCommandLine(commandLine);
        }

        var configuration = builder.Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddHarborBridge(configuration, ServerRoles.All);
        using var provider = services.BuildServiceProvider();
        return SecuritySettings.Warnings(configuration, provider);
    }

    private static Dictionary<string, string?> Secure() => new()
    {
        ["HarborBridge:Harbor:Url"] = "https://harbor.example.test",
        ["HarborBridge:Notifications:Channels:mail:Type"] = "Email",
        ["HarborBridge:Notifications:Channels:mail:Host"] = "smtp.example.test",
        ["HarborBridge:Notifications:Channels:mail:From"] = "hb@example.test",
        ["HarborBridge:Notifications:Channels:mail:To"] = "ops@example.test",
    };

    [Fact]
    public void Warnings_SecureDefaults_NoWarning()
    {
        Assert.Empty(WarningsFor(Secure()));
    }

    [Theory]
    [InlineData("HarborBridge:Harbor:InsecureSkipTlsVerify", "true", "HarborBridge:Harbor:InsecureSkipTlsVerify")]
    [InlineData("HarborBridge:Harbor:Url", "http://harbor.example.test", "plain http")]
    [InlineData("HarborBridge:Trivy:Insecure", "true", "HarborBridge:Trivy:Insecure")]
    [InlineData("HarborBridge:Notifications:Channels:mail:AllowInvalidCertificate", "true", "Channels:mail:AllowInvalidCertificate")]
    [InlineData("HarborBridge:Notifications:Channels:mail:Security", "None", "Channels:mail:Security=None")]
    public void Warnings_OneInsecureSwitch_ExactlyOneWarningNamingIt(string key, string value, string named)
    {
        var settings = Secure();
        settings[key] = value;
        settings["HarborBridge:Trivy:Enabled"] = "true";

        var warning = Assert.Single(WarningsFor(settings));

        Assert.Contains(named, warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Warnings_SecretOnTheCommandLine_Named()
    {
        var warning = Assert.Single(WarningsFor(Secure(), ["--HarborBridge:Admin:Token=0123456789abcdef0123456789abcdef"]));

        Assert.Contains("HarborBridge:Admin:Token was given on the command line", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSecretFiles_FileSettings_ValuesReadWithoutTheTrailingNewline()
    {
        var token = Path.Combine(_directory, "token");
        File.WriteAllText(token, "from-a-kubernetes-secret-0123456789abcdef\n");
        var smtp = Path.Combine(_directory, "smtp");
        File.WriteAllText(smtp, "smtp-pw");
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Admin:TokenFile"] = token,
            ["HarborBridge:Notifications:Channels:mail:Type"] = "Email",
            ["HarborBridge:Notifications:Channels:mail:PasswordFile"] = smtp,
        });

        SecuritySettings.AddSecretFiles(configuration);

        Assert.Equal("from-a-kubernetes-secret-0123456789abcdef", configuration["HarborBridge:Admin:Token"]);
        Assert.Equal("smtp-pw", configuration["HarborBridge:Notifications:Channels:mail:Password"]);
    }

    [Fact]
    public void AddSecretFiles_ValueAndFileBothSet_FailsNamingBoth()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Signing:KeyPassword"] = "x",
            ["HarborBridge:Signing:KeyPasswordFile"] = Path.Combine(_directory, "pw"),
        });

        var e = Assert.Throws<OptionsValidationException>(() => SecuritySettings.AddSecretFiles(configuration));

        Assert.Contains("HarborBridge:Signing:KeyPassword and HarborBridge:Signing:KeyPasswordFile are both set", e.Failures.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void AddSecretFiles_MissingFile_FailsNamingTheSetting()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["HarborBridge:Harbor:PasswordFile"] = Path.Combine(_directory, "absent") });

        var e = Assert.Throws<OptionsValidationException>(() => SecuritySettings.AddSecretFiles(configuration));

        Assert.StartsWith("HarborBridge:Harbor:PasswordFile: cannot read", e.Failures.Single(), StringComparison.Ordinal);
    }
}
