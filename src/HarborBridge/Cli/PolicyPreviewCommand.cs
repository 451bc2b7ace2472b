using System.CommandLine;
using System.Text;
using HarborBridge.Core.Policy;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge policy preview --policy new.yaml [--json]</c> and <c>harborbridge policy apply --policy new.yaml
/// --accept-impact N</c>: ask a running HarborBridge (<c>POST /api/v1/policy/preview</c>, <c>/accept</c>), which judges the
/// candidate with the inputs, database and exceptions the pipeline itself uses. The admin token comes from
/// <c>HARBORBRIDGE_ADMIN_TOKEN</c> (or <c>--token</c>). Exit 0 done, 1 refused (impact larger than accepted, server
/// unreachable), 2 bad input (an invalid policy: the loader's message is printed).
/// </summary>
internal static class PolicyPreviewCommand
{
    public const int ExitOk = 0;
    public const int ExitRefused = 1;
    public const int ExitBadInput = 2;

    public static Command CreatePreview() => CreatePreview(Environment.GetEnvironmentVariable, null);

    public static Command CreateApply() => CreateApply(Environment.GetEnvironmentVariable, null);

    internal static Command CreatePreview(Func<string, string?> environment, HttpMessageHandler? handler)
    {
        var (policy, url, token) = CommonOptions();
        var json = new Option<bool>("--json") { Description = "Print the impact as JSON (the API's answer) instead of text." };
        var command = new Command("preview", "What a candidate policy would change (newly blocked, warned, released) over every decided artifact, " +
            "judged on the stored reports by a running HarborBridge; nothing is changed. Exit 0 done, 1 unreachable, 2 invalid policy.")
        {
            policy, url, token, json,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new Request(parseResult.GetValue(policy), parseResult.GetValue(url)!, parseResult.GetValue(token) ?? environment(ReleaseCommand.TokenVariable),
                "api/v1/policy/preview", parseResult.GetValue(json)),
            handler, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    internal static Command CreateApply(Func<string, string?> environment, HttpMessageHandler? handler)
    {
        var (policy, url, token) = CommonOptions();
        var accept = new Option<int?>("--accept-impact")
        {
            Description = "How many newly blocked artifacts you accept (as the preview showed); refused when the policy would block more.",
        };
        var command = new Command("apply", "Accept a policy whose impact exceeds HarborBridge:Policy:MaxNewlyBlocked, bound to this file's exact content " +
            "(stored in the database: every replica honours it). Write the same file as the policy file before or after. Exit 0 accepted, 1 refused, 2 bad input.")
        {
            policy, url, token, accept,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(accept) is not { } n || n < 0)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("error: --accept-impact N is required (N >= 0: the newly blocked count you accept).");
                return ExitBadInput;
            }

            return await RunAsync(
                new Request(parseResult.GetValue(policy), parseResult.GetValue(url)!, parseResult.GetValue(token) ?? environment(ReleaseCommand.TokenVariable),
                    $"api/v1/policy/accept?acceptImpact={n}", Json: false),
                handler, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    private static (Option<string> Policy, Option<string> Url, Option<string> Token) CommonOptions() => (
        new Option<string>("--policy") { Description = "The candidate policy file (YAML).", Required = true },
        new Option<string>("--url") { Description = "HarborBridge's address.", DefaultValueFactory = _ => "http://127.0.0.1:8080" },
        new Option<string>("--token") { Description = $"Admin token (HarborBridge:Admin:Token); prefer the {ReleaseCommand.TokenVariable} variable." });

    internal sealed record Request(string? PolicyFile, string Url, string? Token, string Path, bool Json);

    internal static async Task<int> RunAsync(Request request, HttpMessageHandler? handler, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (request.PolicyFile is null || !File.Exists(request.PolicyFile))
        {
            await error.WriteLineAsync($"error: --policy '{request.PolicyFile}' does not exist.");
            return ExitBadInput;
        }

        if (string.IsNullOrEmpty(request.Token))
        {
            await error.WriteLineAsync($"error: no admin token; set {ReleaseCommand.TokenVariable} (or pass --token).");
            return ExitBadInput;
        }

        if (await AdminApiCall.BaseAsync(request.Url, error) is not { } baseUri)
        {
            return ExitBadInput;
        }

        var yaml = await File.ReadAllTextAsync(request.PolicyFile, cancellationToken);
        using var content = new StringContent(yaml, new UTF8Encoding(false), "application/yaml");
        var answer = await AdminApiCall.RequestAsync(baseUri, request.Token, HttpMethod.Post, request.Path, content, handler, TimeSpan.FromMinutes(5), error,
            cancellationToken);
        if (answer is not { } answered)
        {
            return ExitRefused;
        }

        var (status, body) = answered;

        if ((int)status is < 200 or >= 300)
        {
            await error.WriteLineAsync($"error: HTTP {(int)status}: {AdminApiCall.Explain(body)}");
            return (int)status == 400 ? ExitBadInput : ExitRefused;
        }

        if (request.Json)
        {
            await output.WriteLineAsync(body);
        }
        else if (request.Path.EndsWith("preview", StringComparison.Ordinal))
        {
            await output.WriteAsync(PolicyImpactRenderer.ToText(PolicyImpactRenderer.FromJson(body)!));
        }
        else
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            var root = document.RootElement;
            await output.WriteLineAsync($"Accepted {request.PolicyFile} ({root.GetProperty("contentHash").GetString()}, policy " +
                $"{root.GetProperty("policyVersion").GetString()}): it newly blocks {root.GetProperty("newlyBlocked").GetInt32()} artifact(s), " +
                $"within the {root.GetProperty("acceptImpact").GetInt32()} accepted. It comes into force when the policy file holds exactly this content.");
        }

        return ExitOk;
    }
}
