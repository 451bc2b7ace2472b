using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>A local HTTP endpoint on 127.0.0.1 (Kestrel) standing in for Slack, Teams, a webhook receiver or PagerDuty.
/// Records every request's path, headers and raw body, and answers with the status codes queued (200 once they run out),
/// or never answers while <see cref="Hang"/> is set.</summary>
internal sealed class HttpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _statuses = new();
    private readonly CancellationTokenSource _stopping = new();

    private HttpReceiver(WebApplication app) => _app = app;

    public sealed record Request(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, int AnsweredWith);

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Requests received, including those still waiting for an answer.</summary>
    public int Arrived => _arrived;

    private int _arrived;

    public bool Hang { get; set; }

    /// <summary>Drops every connection without an answer (a dead endpoint), while the port stays this receiver's.</summary>
    public bool Refuse { get; set; }

    public Uri Url { get; private set; } = null!;

    public static Task<HttpReceiver> StartAsync(params int[] statuses) => StartOnPortAsync(0, statuses);

    /// <summary>Listens on a given port (0: any free one).</summary>
    public static async Task<HttpReceiver> StartOnPortAsync(int port, params int[] statuses)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new HttpReceiver(app);
        foreach (var s in statuses)
        {
            receiver._statuses.Enqueue(s);
        }

        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/hook/T000/B000/secret-path-XYZ");
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _arrived);
        if (Refuse)
        {
            context.Abort();
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (Hang)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token).Token);
            }
            catch (OperationCanceledException)
            {
            }

            return;
        }

        var status = _statuses.TryDequeue(out var s) ? s : 200;
        Requests.Enqueue(new Request(context.Request.Path, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray(), status));
        context.Response.StatusCode = status;
        await context.Response.WriteAsync(status == 200 ? "ok" : "error");
    }

    /// <summary>Waits until <paramref name="count"/> requests were answered (bounded).</summary>
    public Task<bool> WaitForAsync(int count, TimeSpan timeout) =>
        Infrastructure.TestEnvironment.EventuallyAsync(() => Task.FromResult(Requests.Count >= count), timeout);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
