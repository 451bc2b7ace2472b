using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>Keeps every Serilog event of a host, so a test can check what was (and was not) logged.</summary>
internal sealed class CapturingSink : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public string Render()
    {
        using var writer = new StringWriter();
        foreach (var e in _events)
        {
            writer.WriteLine(e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (name, value) in e.Properties)
            {
                writer.WriteLine($"{name}={value}");
            }

            writer.WriteLine(e.Exception?.ToString());
        }

        return writer.ToString();
    }
}
