using System.CommandLine;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge exceptions request|list|approve|deny</c>: exception requests through a running HarborBridge's API
/// (<c>/api/v1/exceptions/requests</c>), so the CLI is the same audited action as the API and the dashboard. The admin token
/// comes from <c>HARBORBRIDGE_ADMIN_TOKEN</c> (or <c>--token</c>). Exit 0 done (the answer is printed as JSON), 1 refused
/// (the server's reason is printed) or unreachable, 2 bad input.
/// </summary>
internal static class ExceptionsCommand
{
    public const int ExitBadInput = 2;

    public static Command Create() => Create(Environment.GetEnvironmentVariable, null);

    internal static Command Create(Func<string, string?> environment, HttpMessageHandler? handler)
    {
        var url = new Option<string>("--url") { Description = "HarborBridge's address.", DefaultValueFactory = _ => "http://127.0.0.1:8080", Recursive = true };
        var token = new Option<string>("--token") { Description = $"Admin token (HarborBridge:Admin:Token); prefer the {AdminApiCall.TokenVariable} variable.", Recursive = true };

        var finding = new Option<string>("--finding") { Description = "The finding: CVE-2024-3094, GHSA-xxxx-xxxx-xxxx, pkg:… or a package name (required)." };
        var project = new Option<string>("--project") { Description = "Harbor project (or a pattern such as team-*) the exception is for (required)." };
        var repository = new Option<string>("--repository") { Description = "Repository or pattern inside the project (default: all)." };
        var digest = new Option<string>("--digest") { Description = "Only this artifact, sha256:…" };
        var reason = new Option<string>("--reason") { Description = "Why the finding is acceptable here (required; kept in the audit trail)." };
        var expires = new Option<string>("--expires") { Description = "Last day the exception applies, YYYY-MM-DD (at most the policy's exceptionRequests.maxDays away)." };
        var requester = new Option<string>("--requester") { Description = "Who asks (required unless the server takes it from its identity header)." };
        var request = new Command("request", "Ask for an exception; the owners of the scope are notified. Example: harborbridge exceptions request " +
            "--finding CVE-2024-3094 --project web --repository web/api --reason \"xz not used at run time\" --expires 2027-01-31 --requester dave")
        {
            finding, project, repository, digest, reason, expires, requester,
        };
        request.SetAction((p, ct) => SendAsync(p, url, token, environment, handler, HttpMethod.Post, "api/v1/exceptions/requests", new
        {
            findingId = p.GetValue(finding), project = p.GetValue(project), repository = p.GetValue(repository), digest = p.GetValue(digest),
            reason = p.GetValue(reason), expires = p.GetValue(expires), requester = p.GetValue(requester),
        }, ct));

        var state = new Option<string>("--state") { Description = "Only requests in this state: requested, approved, denied or expired." };
        var list = new Command("list", "List exception requests, newest first (JSON).") { state };
        list.SetAction((p, ct) => SendAsync(p, url, token, environment, handler, HttpMethod.Get,
            p.GetValue(state) is { } s ? $"api/v1/exceptions/requests?state={Uri.EscapeDataString(s)}" : "api/v1/exceptions/requests", null, ct));

        return new Command("exceptions", "Exception requests: ask, list, approve, deny (through HarborBridge's API).")
        {
            url, token, request, list, Decide("approve", "Approve a request: the exception is in force and the artifacts in its scope are judged again.", environment, handler, url, token),
            Decide("deny", "Deny a request: the requester's team is told; nothing else changes.", environment, handler, url, token),
        };
    }

    private static Command Decide(string verb, string description, Func<string, string?> environment, HttpMessageHandler? handler, Option<string> url,
        Option<string> token)
    {
        var id = new Argument<string>("REQUEST") { Description = "The request id (exr-…)." };
        var approver = new Option<string>("--approver") { Description = "Who decides: one of the owning team's approvers (routing file)." };
        var comment = new Option<string>("--comment") { Description = "A note kept with the decision and sent to the requester's team." };
        var command = new Command(verb, description) { id, approver, comment };
        command.SetAction((p, ct) => SendAsync(p, url, token, environment, handler, HttpMethod.Post,
            $"api/v1/exceptions/requests/{Uri.EscapeDataString(p.GetValue(id) ?? "")}/{verb}", new { approver = p.GetValue(approver), comment = p.GetValue(comment) }, ct));
        return command;
    }

    private static async Task<int> SendAsync(ParseResult parseResult, Option<string> url, Option<string> token, Func<string, string?> environment,
        HttpMessageHandler? handler, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var error = parseResult.InvocationConfiguration.Error;
        if ((parseResult.GetValue(token) ?? environment(AdminApiCall.TokenVariable)) is not { Length: > 0 } secret)
        {
            await error.WriteLineAsync($"error: no admin token; set {AdminApiCall.TokenVariable} (or pass --token).");
            return ExitBadInput;
        }

        return await AdminApiCall.BaseAsync(parseResult.GetValue(url)!, error) is { } baseUri
            ? await AdminApiCall.SendAsync(baseUri, secret, method, path, body, handler, parseResult.InvocationConfiguration.Output, error, cancellationToken)
            : ExitBadInput;
    }
}
