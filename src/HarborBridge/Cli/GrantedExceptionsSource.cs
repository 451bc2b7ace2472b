using System.Globalization;
using System.Text.Json;
using HarborBridge.Core.Policy;

namespace HarborBridge.Cli;

/// <summary>
/// <c>policy check --exceptions-from URL|FILE</c>: the exceptions granted from requests, which live in HarborBridge's
/// database, so that the check judges with them beside the policy file's as the service does. A URL is a running
/// HarborBridge (<c>GET /api/v1/exceptions</c>, admin token from <c>HARBORBRIDGE_ADMIN_TOKEN</c>); a file holds that
/// answer. Entries whose <c>source</c> is <c>policy</c> are skipped: the policy file given to the check supplies those.
/// </summary>
internal static class GrantedExceptionsSource
{
    public static async Task<IReadOnlyList<PolicyExceptionRule>> LoadAsync(string from, Func<string, string?> environment, HttpMessageHandler? handler,
        CancellationToken cancellationToken)
    {
        string json;
        if (from.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || from.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var token = environment(AdminApiCall.TokenVariable) is { Length: > 0 } t
                ? t
                : throw new PolicyCheckCommand.BadInputException($"--exceptions-from {from}: set {AdminApiCall.TokenVariable} to the admin token.");
            using var output = new StringWriter(CultureInfo.InvariantCulture);
            using var error = new StringWriter(CultureInfo.InvariantCulture);
            if (await AdminApiCall.SendAsync(new Uri(from.TrimEnd('/') + "/"), token, HttpMethod.Get, "api/v1/exceptions", null, handler, output, error,
                    cancellationToken) != 0)
            {
                throw new PolicyCheckCommand.BadInputException($"--exceptions-from {from}: {error.ToString().Trim()}");
            }

            json = output.ToString();
        }
        else
        {
            try
            {
                json = await File.ReadAllTextAsync(from, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PolicyCheckCommand.BadInputException($"cannot read exceptions file '{from}': {e.Message}");
            }
        }

        try
        {
            return Parse(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new PolicyCheckCommand.BadInputException($"--exceptions-from {from}: not the JSON list GET /api/v1/exceptions answers ({e.Message})");
        }
    }

    internal static IReadOnlyList<PolicyExceptionRule> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var rules = new List<PolicyExceptionRule>();
        foreach (var e in document.RootElement.EnumerateArray().Where(e => e.GetProperty("source").GetString() == "request"))
        {
            string? Text(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var expires = DateOnly.ParseExact(Text("expires")!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            rules.Add(new ExceptionRequestDraft(Text("id")!, Text("project") ?? "*", Text("repository"), Text("digest"), Text("reason") ?? "", expires, "")
                .ToRule(Text("owner") ?? "", Text("ticket") ?? "exception request"));
        }

        return rules;
    }
}
