using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Hosting;

/// <summary>Console logging (section <c>HarborBridge:Logging</c>); levels per namespace are under <c>Serilog:MinimumLevel</c>.</summary>
public sealed class LoggingOptions
{
    public const string SectionName = "HarborBridge:Logging";

    /// <summary>Write logs to stdout.</summary>
    public bool Console { get; set; } = true;

    /// <summary><c>Auto</c> (default): readable coloured single lines when stdout is a terminal (or
    /// <c>ASPNETCORE_ENVIRONMENT</c> is <c>Development</c>), compact JSON otherwise (containers, log collectors).
    /// <c>Text</c> or <c>Json</c> force one format.</summary>
    [EnumDataType(typeof(ConsoleLogFormat))]
    public ConsoleLogFormat Format { get; set; } = ConsoleLogFormat.Auto;
}

/// <summary>How log events are written to stdout.</summary>
public enum ConsoleLogFormat
{
    /// <summary>Text on a terminal, JSON otherwise.</summary>
    Auto,

    /// <summary>One readable line per event: time, level, message.</summary>
    Text,

    /// <summary>Serilog's rendered compact JSON, one object per line.</summary>
    Json,
}

internal static class ConsoleLogFormats
{
    /// <summary>One line per event (an exception adds its own lines): <c>18:04:05 INF Message</c>.</summary>
    public const string TextTemplate = "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}";

    /// <summary>The format actually used: a forced one as configured; <c>Auto</c> is text for a person (a terminal, or a
    /// developer's machine) and JSON for a machine reading redirected output.</summary>
    public static ConsoleLogFormat Choose(ConsoleLogFormat configured, bool stdoutIsTerminal, bool development) => configured switch
    {
        ConsoleLogFormat.Auto => stdoutIsTerminal || development ? ConsoleLogFormat.Text : ConsoleLogFormat.Json,
        _ => configured,
    };
}
