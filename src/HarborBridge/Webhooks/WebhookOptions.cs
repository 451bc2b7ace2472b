using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HarborBridge.Webhooks;

/// <summary>Webhook intake settings (section <c>HarborBridge:Webhook</c>).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "HarborBridge:Webhook";

    /// <summary>The exact value Harbor sends in <c>Authorization</c> (the webhook policy's auth header).
    /// Required unless <see cref="AllowUnauthenticated"/> is set. Secret: never logged.</summary>
    public string? AuthHeader { get; set; }

    /// <summary>Explicit opt-out of webhook authentication (logged as a warning at start).</summary>
    public bool AllowUnauthenticated { get; set; }

    /// <summary><c>Shared</c> (default): one <see cref="AuthHeader"/> for every project, so whoever can read one
    /// project's webhook policy can send events for all. <c>PerProject</c>: each project has its own header derived
    /// from <see cref="ProjectSecrets"/>, provisioned by the reconciler's webhook repair, and an event is accepted
    /// only with its own project's header.</summary>
    [EnumDataType(typeof(WebhookAuthMode))]
    public WebhookAuthMode AuthMode { get; set; } = WebhookAuthMode.Shared;

    /// <summary>Master secrets of the per-project mode.</summary>
    public ProjectSecretOptions ProjectSecrets { get; set; } = new();

    /// <summary>Largest accepted body in bytes (default 1 MiB).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most resources (artifacts) one webhook may carry; Harbor sends one. A larger list is refused with 400.</summary>
    [Range(1, 10_000)]
    public int MaxResources { get; set; } = Core.Webhooks.HarborWebhookParser.DefaultMaxResources;

    /// <summary>How many accepted event ids are remembered to answer Harbor's retries without publishing again.</summary>
    [Range(100, 10_000_000)]
    public int DuplicateCacheEntries { get; set; } = 100_000;

    /// <summary>How long to wait for the broker to confirm before answering 503 (Harbor gives up after 3 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Harbor users or robots whose pushes and pulls are ignored, e.g. HarborBridge's own robot.</summary>
    public List<string> IgnoredOperators { get; set; } = [];

    /// <summary>Operators matching this pattern are Harbor's scanner robots; their pulls are ignored.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ScannerRobotPattern { get; set; } = @"^robot\$.+-Trivy-";
}

/// <summary>How webhooks are authenticated.</summary>
public enum WebhookAuthMode
{
    Shared,
    PerProject,
}

/// <summary>Per-project webhook secrets (section <c>HarborBridge:Webhook:ProjectSecrets</c>): the header of project P is
/// <c>Bearer hbp1.</c> + hex(HMAC-SHA256(Master, P)). Rotation: put the old master in <see cref="PreviousMaster"/>
/// and a time in <see cref="PreviousMasterUntil"/>; until then both are accepted, and the reconciler writes the new
/// header into every project's webhook policy.</summary>
public sealed class ProjectSecretOptions
{
    /// <summary>At least 32 characters. Secret: from the environment or <c>MasterFile</c>.</summary>
    public string? Master { get; set; }

    /// <summary>The master being replaced; accepted until <see cref="PreviousMasterUntil"/>.</summary>
    public string? PreviousMaster { get; set; }

    /// <summary>End of the rotation window; required with <see cref="PreviousMaster"/>.</summary>
    public DateTimeOffset? PreviousMasterUntil { get; set; }
}

/// <summary><c>AuthHeader</c> is set unless <c>AllowUnauthenticated</c> is true; in <c>PerProject</c> mode
/// <c>ProjectSecrets:Master</c> has at least 32 characters and <c>PreviousMaster</c> needs <c>PreviousMasterUntil</c>;
/// <c>ScannerRobotPattern</c> is a valid regular expression.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public const int MinMasterLength = 32;

    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        if (options.AuthMode == WebhookAuthMode.PerProject)
        {
            if (options.ProjectSecrets.Master is not { Length: >= MinMasterLength })
            {
                return ValidateOptionsResult.Fail(
                    $"HarborBridge:Webhook:ProjectSecrets:Master must be at least {MinMasterLength} characters when HarborBridge:Webhook:AuthMode is PerProject.");
            }

            if (!string.IsNullOrEmpty(options.ProjectSecrets.PreviousMaster) && options.ProjectSecrets.PreviousMasterUntil is null)
            {
                return ValidateOptionsResult.Fail("HarborBridge:Webhook:ProjectSecrets:PreviousMasterUntil is required with PreviousMaster (the end of the rotation window).");
            }
        }
        else if (string.IsNullOrWhiteSpace(options.AuthHeader) && !options.AllowUnauthenticated)
        {
            return ValidateOptionsResult.Fail(
                "HarborBridge:Webhook:AuthHeader is not set. Set it to the auth header of Harbor's webhook policy " +
                "(environment HarborBridge__Webhook__AuthHeader), or set HarborBridge:Webhook:AllowUnauthenticated=true to accept unauthenticated webhooks.");
        }

        try
        {
            _ = new System.Text.RegularExpressions.Regex(options.ScannerRobotPattern);
        }
        catch (ArgumentException)
        {
            return ValidateOptionsResult.Fail("HarborBridge:Webhook:ScannerRobotPattern is not a valid regular expression.");
        }

        return ValidateOptionsResult.Success;
    }
}
