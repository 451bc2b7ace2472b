using HarborBridge.Core.Notifications;
using Microsoft.Extensions.Options;

namespace HarborBridge.Notifications;

/// <summary>The routing in force. The file is re-read when its time stamp changes; an invalid edit is logged and the
/// last good routing stays in force. At start an invalid file stops <c>serve</c> (see <see cref="RoutingValidationHostedService"/>).</summary>
internal sealed class RoutingProvider(IOptions<NotificationOptions> options, ILogger<RoutingProvider> logger)
{
    private readonly Lock _sync = new();
    private (RoutingDocument Routing, DateTime Stamp)? _current;

    public RoutingDocument Current
    {
        get
        {
            if (options.Value.RoutingFile is not { Length: > 0 } file)
            {
                return RoutingDocument.Empty;
            }

            var path = Path.GetFullPath(file);
            var stamp = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            lock (_sync)
            {
                if (_current is { } current && current.Stamp == stamp)
                {
                    return current.Routing;
                }

                try
                {
                    _current = (Load(path), stamp);
                    return _current.Value.Routing;
                }
                catch (RoutingFileException e) when (_current is not null)
                {
                    logger.LogError("Routing file change rejected, the previous routing stays in force: {Problem}", e.Message);
                    _current = (_current.Value.Routing, stamp);
                    return _current.Value.Routing;
                }
            }
        }
    }

    private RoutingDocument Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new RoutingFileException($"{path}: the routing file does not exist.");
        }

        return RoutingLoader.Load(File.ReadAllText(path), Path.GetFileName(path), options.Value.Channels.Keys);
    }
}

/// <summary>Loads the routing file at start, so a broken file (or a route naming an unconfigured channel) stops the
/// service with a message naming the line and field.</summary>
internal sealed class RoutingValidationHostedService(RoutingProvider routing) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = routing.Current;
        }
        catch (RoutingFileException e)
        {
            throw new OptionsValidationException(NotificationOptions.SectionName, typeof(NotificationOptions), [$"{NotificationOptions.SectionName}:RoutingFile: {e.Message}"]);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
