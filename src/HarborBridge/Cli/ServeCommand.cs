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
        var command = new Command("serve", "Run the webhook endpoint, the consumers and the scheduled jobs (the default verb). " +
            "Host options such as --urls and --HarborBridge:Transport=RabbitMq are passed to the host.")
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
