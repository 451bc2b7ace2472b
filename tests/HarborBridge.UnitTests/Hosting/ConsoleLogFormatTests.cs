using HarborBridge.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>A person at a terminal gets readable lines, a log collector reading redirected output gets JSON, and a
/// setting forces either; MassTransit's per-endpoint chatter stays below Information unless configured.</summary>
public sealed class ConsoleLogFormatTests
{
    [Theory]
    [InlineData(ConsoleLogFormat.Auto, true, false, ConsoleLogFormat.Text)]
    [InlineData(ConsoleLogFormat.Auto, false, false, ConsoleLogFormat.Json)]
    [InlineData(ConsoleLogFormat.Auto, false, true, ConsoleLogFormat.Text)]
    [InlineData(ConsoleLogFormat.Json, true, false, ConsoleLogFormat.Json)]
    [InlineData(ConsoleLogFormat.Json, true, true, ConsoleLogFormat.Json)]
    [InlineData(ConsoleLogFormat.Text, false, false, ConsoleLogFormat.Text)]
    public void Choose_TerminalDevelopmentAndSetting_GiveExpectedFormat(ConsoleLogFormat configured, bool terminal, bool development, ConsoleLogFormat expected) =>
        Assert.Equal(expected, ConsoleLogFormats.Choose(configured, terminal, development));

    [Fact]
    public void TextTemplate_IsOneLinePerEvent()
    {
        var withoutTrailer = ConsoleLogFormats.TextTemplate.Replace("{NewLine}{Exception}", "", StringComparison.Ordinal);

        Assert.EndsWith("{NewLine}{Exception}", ConsoleLogFormats.TextTemplate, StringComparison.Ordinal);
        Assert.DoesNotContain("{NewLine}", withoutTrailer, StringComparison.Ordinal);
    }

    private static ILoggerFactory Loggers(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(
            settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)).Append(new("HarborBridge:Logging:Console", "false")));
        builder.AddLogging();
        return builder.Build().Services.GetRequiredService<ILoggerFactory>();
    }

    [Fact]
    public void AddLogging_Default_MassTransitAndQuartzInformationOffWarningOn()
    {
        var loggers = Loggers();
        var massTransit = loggers.CreateLogger("MassTransit.ReceiveTransport");
        var quartz = loggers.CreateLogger("Quartz.Core.QuartzScheduler");

        Assert.False(massTransit.IsEnabled(LogLevel.Information));
        Assert.True(massTransit.IsEnabled(LogLevel.Warning));
        Assert.False(quartz.IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("HarborBridge.Webhooks.WebhookIntake").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void AddLogging_ConfiguredOverride_WinsOverTheMassTransitDefault()
    {
        var massTransit = Loggers(("Serilog:MinimumLevel:Override:MassTransit", "Information")).CreateLogger("MassTransit.ReceiveTransport");

        Assert.True(massTransit.IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void AddLogging_UnknownFormat_FailsAtStartNamingTheSetting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Loggers(("HarborBridge:Logging:Format", "yaml")));

        Assert.Contains("HarborBridge:Logging:Format", e.Message, StringComparison.Ordinal);
    }
}
