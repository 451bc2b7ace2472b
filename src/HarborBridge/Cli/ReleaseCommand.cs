using System.CommandLine;
using System.Text.RegularExpressions;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge release sha256:… --reason R [--actor NAME] [--url http://host:port]</c>: asks a running HarborBridge
/// (<c>POST /api/v1/artifacts/{digest}/release</c>) to undo a quarantine, so the release is the same audited action
/// as through the API. The admin token comes from <c>HARBORBRIDGE_ADMIN_TOKEN</c> (or <c>--token</c>, which shows in
/// the shell history). Exit 0 released, 1 refused or incomplete (the server's explanation is printed), 2 bad input.
/// </summary>
internal static partial class ReleaseCommand
{
    public const int ExitReleased = 0;
    public const int ExitNotReleased = 1;
    public const int ExitBadInput = 2;
    public const string TokenVariable = AdminApiCall.TokenVariable;

    public static Command Create() => Create(Environment.GetEnvironmentVariable, null);

    internal static Command Create(Func<string, string?> environment, HttpMessageHandler? handler)
    {
        var digest = new Argument<string>("DIGEST") { Description = "The quarantined artifact's digest, sha256:<64 hex>." };
        var reason = new Option<string>("--reason") { Description = "Why it may be used again (required; kept in the audit trail)." };
        var actor = new Option<string>("--actor") { Description = "Who releases it (default: admin)." };
        var url = new Option<string>("--url") { Description = "HarborBridge's address.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var token = new Option<string>("--token") { Description = $"Admin token (HarborBridge:Admin:Token); prefer the {TokenVariable} variable." };
        var command = new Command("release", "Release a quarantined artifact through HarborBridge's API. Exit 0 released, 1 not, 2 bad input.")
        {
            digest, reason, actor, url, token,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new Request(parseResult.GetValue(digest), parseResult.GetValue(reason), parseResult.GetValue(actor), parseResult.GetValue(url)!,
                parseResult.GetValue(token) ?? environment(TokenVariable)),
            handler, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    internal sealed record Request(string? Digest, string? Reason, string? Actor, string Url, string? Token);

    internal static async Task<int> RunAsync(Request request, HttpMessageHandler? handler, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (request.Digest is null || !DigestPattern().IsMatch(request.Digest))
        {
            await error.WriteLineAsync($"error: '{request.Digest}' is not a digest (sha256:<64 lowercase hex>).");
            return ExitBadInput;
        }

        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            await error.WriteLineAsync("error: --reason is required: say why the artifact may be used again.");
            return ExitBadInput;
        }

        if (string.IsNullOrEmpty(request.Token))
        {
            await error.WriteLineAsync($"error: no admin token; set {TokenVariable} (or pass --token).");
            return ExitBadInput;
        }

        if (await AdminApiCall.BaseAsync(request.Url, error) is not { } baseUri)
        {
            return ExitBadInput;
        }

        return await AdminApiCall.SendAsync(baseUri, request.Token, HttpMethod.Post, $"api/v1/artifacts/{request.Digest}/release",
            new { reason = request.Reason, actor = request.Actor }, handler, output, error, cancellationToken) == 0 ? ExitReleased : ExitNotReleased;
    }

    [GeneratedRegex("^sha256:[a-f0-9]{64}\\z")]
    private static partial Regex DigestPattern();
}
