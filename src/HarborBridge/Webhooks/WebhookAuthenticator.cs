using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace HarborBridge.Webhooks;

/// <summary>Checks the <c>Authorization</c> header of a webhook. Shared mode: one header for all projects, checked
/// before the body is read. Per-project mode: the header must be the one derived for the event's own project
/// (<see cref="ProjectHeader"/>), so one project's secret cannot forge another's events. All comparisons hash both
/// sides and take the same time whatever the input.</summary>
internal sealed class WebhookAuthenticator(IOptions<WebhookOptions> options, TimeProvider time)
{
    public const string ProjectHeaderPrefix = "Bearer hbp1.";

    public bool PerProject => options.Value.AuthMode == WebhookAuthMode.PerProject;

    /// <summary>The header Harbor must send for <paramref name="project"/>'s events under <paramref name="master"/>.</summary>
    public static string ProjectHeader(string master, string project) =>
        ProjectHeaderPrefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(master), Encoding.UTF8.GetBytes("harbor-webhook:" + project)));

    /// <summary>The header the reconciler writes into <paramref name="project"/>'s webhook policy.</summary>
    public string HeaderFor(string project) => PerProject
        ? ProjectHeader(options.Value.ProjectSecrets.Master!, project)
        : options.Value.AuthHeader ?? "";

    /// <summary>Shared mode: the whole check. Per-project mode: whether the header could be a project header at all
    /// (exactly one, with the right prefix); the project is checked by <see cref="IsAuthorizedFor"/> after parsing.</summary>
    public bool PassesFirstCheck(HttpRequest request)
    {
        var settings = options.Value;
        if (request.Headers.Authorization.Count > 1)
        {
            return false;
        }

        var presented = request.Headers.Authorization.ToString();
        if (PerProject)
        {
            return presented.StartsWith(ProjectHeaderPrefix, StringComparison.Ordinal);
        }

        return string.IsNullOrEmpty(settings.AuthHeader) ? settings.AllowUnauthenticated : SameSecret(settings.AuthHeader, presented);
    }

    /// <summary>Per-project mode: whether <paramref name="presented"/> is <paramref name="project"/>'s header under the
    /// current master, or under the previous one while the rotation window lasts. Events without a project
    /// (quota, replication) carry no project to check and are refused.</summary>
    public bool IsAuthorizedFor(string presented, string? project)
    {
        if (!PerProject)
        {
            return true;
        }

        if (string.IsNullOrEmpty(project))
        {
            return false;
        }

        var secrets = options.Value.ProjectSecrets;
        var ok = SameSecret(ProjectHeader(secrets.Master!, project), presented);
        if (!string.IsNullOrEmpty(secrets.PreviousMaster) && secrets.PreviousMasterUntil > time.GetUtcNow())
        {
            ok |= SameSecret(ProjectHeader(secrets.PreviousMaster, project), presented);
        }

        return ok;
    }

    private static bool SameSecret(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
