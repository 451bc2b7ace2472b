using System.Globalization;
using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.LoadDriver;

/// <summary>
/// The floor every webhook intake pays: an ASP.NET Core endpoint that publishes one fixed message with MassTransit over
/// RabbitMQ (publisher confirms, as serve does) and answers 202. Run as its own process by the driver:
/// <c>HarborBridge.LoadDriver bare-endpoint PORT RABBIT_HOST RABBIT_PORT VHOST</c>.
/// </summary>
internal static class BareEndpoint
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 4 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var port) || !ushort.TryParse(args[2], CultureInfo.InvariantCulture, out var rabbitPort))
        {
            await Console.Error.WriteLineAsync("usage: HarborBridge.LoadDriver bare-endpoint PORT RABBIT_HOST RABBIT_PORT VHOST");
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((_, cfg) => cfg.Host(args[1], rabbitPort, args[3], h =>
        {
            h.Username("guest");
            h.Password("guest");
            h.PublisherConfirmation = true;
        })));
        var app = builder.Build();
        var fixedMessage = new ArtifactPushed("bare", new ArtifactRef("load", "app", "sha256:" + new string('0', 64)), "v1", "ci-bot", DateTimeOffset.UnixEpoch);
        app.MapPost("/webhooks/harbor", async (IPublishEndpoint publish, CancellationToken cancellationToken) =>
        {
            await publish.Publish(fixedMessage, cancellationToken);
            return Results.StatusCode(StatusCodes.Status202Accepted);
        });
        app.MapGet("/readyz", () => Results.Ok());
        await app.RunAsync();
        return 0;
    }
}
