using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Notifications;

/// <summary>Notification settings (section <c>HarborBridge:Notifications</c>). Channel URLs, keys and passwords belong
/// in the environment (<c>HarborBridge__Notifications__Channels__web-slack__Url</c>), never in a file in the repository.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "HarborBridge:Notifications";

    /// <summary>The routing file (YAML, see docs/notifications.md). Unset: no notifications are sent.</summary>
    public string? RoutingFile { get; set; }

    /// <summary>The channels the routing file may name, by name.</summary>
    public Dictionary<string, ChannelOptions> Channels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Link to an artifact in Harbor's UI, with <c>{project}</c>, <c>{repository}</c> and <c>{digest}</c> placeholders.</summary>
    public string? HarborArtifactUrl { get; set; }

    /// <summary>HarborBridge's public base URL, for links to its artifact API.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>A message identical to one sent to the same channel within this window is not sent again (flapping).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan FlapWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Operator alerts of one cause (e.g. thousands of messages failing the same way) are collected for this long
    /// and then sent as one message per channel, with the count.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AlertWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>When the daily digest goes out (Quartz cron, server time zone). Empty: no digest.</summary>
    public string? DigestCron { get; set; } = "0 0 8 * * ?";

    /// <summary>Per-attempt timeout of one HTTP delivery.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HttpAttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay before the first HTTP retry (exponential backoff with jitter after that).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan HttpRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Kinds of notification channel.</summary>
public enum ChannelType
{
    Slack,
    Teams,
    Webhook,
    Email,
    PagerDuty,
}

/// <summary>How to reach the SMTP server.</summary>
public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it (MailKit's <c>Auto</c>): an attacker on the path can strip it, so a
    /// login is refused on a connection that ended up unencrypted. Logged as a warning at start.</summary>
    Auto,

    /// <summary>Plain SMTP, login included: the explicit opt-out, logged as a warning at start.</summary>
    None,

    /// <summary>STARTTLS required (the default).</summary>
    StartTls,
    SslOnConnect,
}

/// <summary>One channel. Which settings apply depends on <see cref="Type"/>.</summary>
public sealed class ChannelOptions
{
    /// <summary>The channel's kind; required for every channel.</summary>
    public ChannelType? Type { get; set; }

    /// <summary>Slack/Teams incoming-webhook URL, generic webhook URL, or PagerDuty events URL (default https://events.pagerduty.com/v2/enqueue). A secret.</summary>
    public string? Url { get; set; }

    /// <summary>Generic webhook: the HMAC-SHA256 key (UTF-8). A secret.</summary>
    public string? Secret { get; set; }

    /// <summary>PagerDuty: the integration (routing) key. A secret.</summary>
    public string? RoutingKey { get; set; }

    /// <summary>E-mail: SMTP host and port.</summary>
    public string? Host { get; set; }

    /// <summary>E-mail: SMTP port.</summary>
    public int Port { get; set; } = 587;

    /// <summary>E-mail: how the SMTP connection is encrypted.</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>E-mail: accept any server certificate (test servers only).</summary>
    public bool AllowInvalidCertificate { get; set; }

    /// <summary>E-mail: SMTP login; no authentication when empty. The password is a secret.</summary>
    public string? Username { get; set; }

    /// <summary>E-mail: SMTP password. A secret.</summary>
    public string? Password { get; set; }

    /// <summary>E-mail: sender address.</summary>
    public string? From { get; set; }

    /// <summary>E-mail recipients, comma-separated.</summary>
    public string? To { get; set; }
}
