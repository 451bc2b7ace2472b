using System.Text.RegularExpressions;

namespace HarborBridge.Core.Webhooks;

/// <summary>
/// Decides which webhooks HarborBridge must not act on: events its own work causes (signature and
/// attestation pushes, the scanner robot's pulls) would otherwise loop, and events of types this
/// version does not know are ignored so that a newer Harbor does not get errors back.
/// </summary>
public sealed partial class WebhookLoopFilter(IEnumerable<string> ignoredOperators, string scannerRobotPattern)
{
    private readonly HashSet<string> _ignoredOperators = new(ignoredOperators, StringComparer.Ordinal);
    private readonly Regex _scannerRobot = new(scannerRobotPattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    /// <summary>Returns why the event is ignored, or null when it should be processed.</summary>
    public string? IgnoreReason(HarborWebhookEvent webhook)
    {
        if (webhook.Type == HarborEventType.Unknown)
        {
            return "event type not handled by this version";
        }

        if (webhook.Operator is { } op && webhook.Type is HarborEventType.PushArtifact or HarborEventType.PullArtifact)
        {
            if (_ignoredOperators.Contains(op))
            {
                return "operator is listed in HarborBridge:Webhook:IgnoredOperators";
            }

            if (webhook.Type == HarborEventType.PullArtifact && _scannerRobot.IsMatch(op))
            {
                return "pull by the scanner robot";
            }
        }

        if (webhook.Type == HarborEventType.PushArtifact && webhook.Resources.Any(r => r.Tag is { } tag && IsAccessoryTag(tag)))
        {
            return "push of a cosign signature, attestation or SBOM tag";
        }

        return null;
    }

    /// <summary>True for the tags cosign gives signatures, attestations and SBOMs (<c>sha256-&lt;hex&gt;.att</c>, …):
    /// Harbor lists an attestation as an artifact of its own, but it is HarborBridge's (or cosign's) output, not something to decide.</summary>
    public static bool IsAccessoryTag(string tag) => AccessoryTag().IsMatch(tag);

    [GeneratedRegex("^sha(256|384|512)-[a-f0-9]+(\\.(sig|att|sbom))?$")]
    private static partial Regex AccessoryTag();
}
