using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace HarborBridge.HarborSimulator;

/// <summary>A running simulator: its base URL (<c>http://127.0.0.1:&lt;port&gt;</c>), its state and fault switches.</summary>
public sealed class HarborSimulatorHandle : IAsyncDisposable
{
    private readonly WebApplication _app;

    internal HarborSimulatorHandle(WebApplication app, Uri url, SimulatorState state, SimulatorFaults faults)
    {
        _app = app;
        Url = url;
        State = state;
        Faults = faults;
    }

    public Uri Url { get; }

    /// <summary><c>127.0.0.1:port</c>, the registry address for skopeo and OCI references.</summary>
    public string RegistryHost => Url.Authority;

    public SimulatorState State { get; }

    public SimulatorFaults Faults { get; }

    /// <summary>Fires the scan-all schedule, as Harbor's job service does (operator <c>harbor-jobservice</c>); returns how
    /// many scans started.</summary>
    public int RunScheduledScanAll() => _app.Services.GetRequiredService<ScanRunner>().ScanAll("harbor-jobservice");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

public static class HarborSimulatorHost
{
    /// <summary>Starts the simulator on 127.0.0.1 with a free port.</summary>
    public static async Task<HarborSimulatorHandle> StartAsync(HarborSimulatorOptions options, CancellationToken cancellationToken = default, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.RegistryAddress))
        {
            throw new ArgumentException("RegistryAddress (host:port of docker-registry) is required.", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        var state = new SimulatorState();
        var faults = new SimulatorFaults();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(faults);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddSingleton<ScanRunner>();
        builder.Services.AddSingleton<RegistryProxy>();
        builder.Services.AddSingleton<HarborApi>();
        builder.Services.AddHttpClient(RegistryProxy.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        builder.Services.AddHttpClient(WebhookSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false });
        if (options.WebhookHandler is { } handler)
        {
            builder.Services.AddHttpClient(WebhookSender.HttpClientName + "-inprocess").ConfigurePrimaryHttpMessageHandler(handler);
        }

        var app = builder.Build();
        app.Run(async http =>
        {
            var ct = http.RequestAborted;
            var requestId = http.Request.Headers["X-Request-Id"].ToString();
            http.Response.Headers["X-Request-Id"] = string.IsNullOrEmpty(requestId) ? Guid.NewGuid().ToString() : requestId;
            var path = http.Request.Path.Value ?? "";
            var api = path.StartsWith("/api/v2.0/", StringComparison.Ordinal);
            var registry = path == "/v2" || path.StartsWith("/v2/", StringComparison.Ordinal);
            state.CountRequest(api ? "api" : registry ? "registry" : "token", http.Request.Headers.UserAgent.ToString());
            state.LogRequest(() => new SimRequest(api ? "api" : registry ? "registry" : "token", http.Request.Headers.UserAgent.ToString(), http.Request.Method, path));
            if (api)
            {
                state.CountApiRequest();
            }

            if ((api || registry) && faults.Latency > TimeSpan.Zero)
            {
                await Task.Delay(faults.Latency, ct);
            }

            if ((api || (registry && faults.RegistryFaults)) && faults.Draw() is { } status)
            {
                if (status == 429)
                {
                    http.Response.Headers.RetryAfter = faults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    await SimHttp.Error(429, "TOO_MANY_REQUEST", "too many requests").ExecuteAsync(http);
                }
                else
                {
                    await SimHttp.Error(status, "UNKNOWN", "internal server error").ExecuteAsync(http);
                }

                return;
            }

            if (api && faults.IsDenied(http.Request.Method, path))
            {
                await SimHttp.Error(403, "FORBIDDEN", "forbidden").ExecuteAsync(http);
                return;
            }

            // A fault that lands after Harbor acted: the request is served, then its answer is replaced.
            var afterAct = api || registry ? faults.TakeAfterAct(http.Request.Method, path) : null;
            var body = http.Response.Body;
            if (afterAct is not null)
            {
                http.Response.Body = Stream.Null;
            }

            var services = http.RequestServices;
            if (api)
            {
                await (await services.GetRequiredService<HarborApi>().HandleAsync(http, ct)).ExecuteAsync(http);
            }
            else if (registry)
            {
                try
                {
                    await services.GetRequiredService<RegistryProxy>().HandleAsync(http, ct);
                }
                catch (HttpRequestException) when (!http.Response.HasStarted)
                {
                    // Harbor's proxy answers 502 Bad Gateway when the registry behind it cannot be reached.
                    await SimHttp.Error(502, "UNKNOWN", "the registry behind Harbor cannot be reached").ExecuteAsync(http);
                }
            }
            else if (path == "/service/token")
            {
                await services.GetRequiredService<RegistryProxy>().Token(http).ExecuteAsync(http);
            }
            else
            {
                await SimHttp.Error(404, "NOT_FOUND", "not found").ExecuteAsync(http);
            }

            if (afterAct is { } answer)
            {
                await SimulatorFaults.AnswerAfterActingAsync(http, body, answer);
            }
        });

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(address);
        var sender = app.Services.GetRequiredService<WebhookSender>();
        sender.ExternalHost = options.ExternalHost ?? url.Authority;
        app.Services.GetRequiredService<RegistryProxy>().Scans = app.Services.GetRequiredService<ScanRunner>();
        return new HarborSimulatorHandle(app, url, state, faults);
    }
}

/// <summary><c>dotnet run --project src/HarborBridge.HarborSimulator -- --registry 127.0.0.1:5000 [--port 8080]</c></summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        string? registry = null;
        var port = 0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--registry":
                    registry = args[i + 1];
                    break;
                case "--port" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p):
                    port = p;
                    break;
                default:
                    break;
            }
        }

        if (registry is null)
        {
            await Console.Error.WriteLineAsync("usage: HarborBridge.HarborSimulator --registry HOST:PORT [--port N]");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await using var simulator = await HarborSimulatorHost.StartAsync(new HarborSimulatorOptions { RegistryAddress = registry }, stop.Token, port);
        await Console.Out.WriteLineAsync($"Harbor simulator on {simulator.Url} (registry {registry}); users: admin/Harbor12345. Ctrl+C stops it.");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        return 0;
    }
}
