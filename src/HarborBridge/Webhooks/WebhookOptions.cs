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

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.AuthHeader) && !options.AllowUnauthenticated)
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
