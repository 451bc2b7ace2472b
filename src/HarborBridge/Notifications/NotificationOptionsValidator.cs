using Microsoft.Extensions.Options;

namespace HarborBridge.Notifications;

/// <summary>Checks each channel has what its type needs. Messages name the setting, never its value (values may be secrets).</summary>
internal sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var failures = new List<string>();
        foreach (var (channel, c) in options.Channels)
        {
            var prefix = $"{NotificationOptions.SectionName}:Channels:{channel}";
            switch (c.Type)
            {
                case null:
                    failures.Add($"{prefix}:Type: missing (Slack, Teams, Webhook, Email or PagerDuty)");
                    break;
                case ChannelType.Slack or ChannelType.Teams or ChannelType.Webhook:
                    RequireUrl(c.Url, $"{prefix}:Url", failures);
                    if (c.Type == ChannelType.Webhook && string.IsNullOrEmpty(c.Secret))
                    {
                        failures.Add($"{prefix}:Secret: missing (the HMAC-SHA256 key that signs each body)");
                    }

                    break;
                case ChannelType.PagerDuty:
                    if (string.IsNullOrWhiteSpace(c.RoutingKey))
                    {
                        failures.Add($"{prefix}:RoutingKey: missing (the PagerDuty integration key)");
                    }

                    if (c.Url is not null)
                    {
                        RequireUrl(c.Url, $"{prefix}:Url", failures);
                    }

                    break;
                case ChannelType.Email:
                    if (string.IsNullOrWhiteSpace(c.Host))
                    {
                        failures.Add($"{prefix}:Host: missing (the SMTP server)");
                    }

                    if (c.Port is < 1 or > 65535)
                    {
                        failures.Add($"{prefix}:Port: must be 1-65535");
                    }

                    if (string.IsNullOrWhiteSpace(c.From) || !c.From.Contains('@', StringComparison.Ordinal))
                    {
                        failures.Add($"{prefix}:From: missing or not an e-mail address");
                    }

                    if (Recipients(c).Count == 0)
                    {
                        failures.Add($"{prefix}:To: missing (comma-separated e-mail addresses)");
                    }

                    break;
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static List<string> Recipients(ChannelOptions c) =>
        (c.To ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static void RequireUrl(string? url, string setting, List<string> failures)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            failures.Add($"{setting}: missing or not an absolute http(s) URL");
        }
    }
}
