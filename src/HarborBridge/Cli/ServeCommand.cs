using System.CommandLine;
using HarborBridge.Hosting;

namespace HarborBridge.Cli;

internal static class ServeCommand
{
    public static Command Create()
    {
        var roles = new Option<string>("--roles")
        {
            Description = "Comma-separated roles this process plays: webhook, worker, scheduler (default: all).",
            DefaultValueFactory = _ => "webhook,worker,scheduler",
        };
        var command = new Command("serve", "Run the webhook endpoint (POST /webhooks/harbor), the consumers, the scheduled jobs, the " +
            "dashboard (/), /healthz, /readyz and /metrics (the default verb). Host options are passed to the host: --urls " +
            "http://0.0.0.0:8080 and any setting as --HarborBridge:Section:Key=value (e.g. --HarborBridge:Transport=RabbitMq). " +
            "Exit 0 after a clean stop (SIGTERM/Ctrl+C), 1 when a setting is invalid (the message names it), 2 for a bad --roles.")
        {
            roles,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!ServerRolesParser.TryParse(parseResult.GetValue(roles)!, out var parsed, out var error))
            {
                await Console.Error.WriteLineAsync(error);
                return 2;
            }

            return await HarborBridgeServer.RunAsync([.. parseResult.UnmatchedTokens], parsed, cancellationToken);
        });
        return command;
    }
}
