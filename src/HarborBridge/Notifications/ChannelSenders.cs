using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Notifications;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace HarborBridge.Notifications;

/// <summary>A channel failed to take a message. The message names the channel, never its URL or key.</summary>
internal sealed class ChannelDeliveryException(string message) : Exception(message);

/// <summary>Sends one notification over one kind of channel.</summary>
internal interface IChannelSender
{
    ChannelType Type { get; }

    Task SendAsync(DeliverNotification notification, ChannelOptions channel, CancellationToken cancellationToken);
}

/// <summary>Posts JSON through the resilient "notifications" HTTP client (retries with backoff on 5xx/408/429 and timeouts).</summary>
internal abstract class HttpChannelSender(IHttpClientFactory clients) : IChannelSender
{
    public const string ClientName = "notifications";

    public abstract ChannelType Type { get; }

    public abstract Task SendAsync(DeliverNotification notification, ChannelOptions channel, CancellationToken cancellationToken);

    protected async Task PostAsync(string channelName, string url, byte[] body, Action<HttpRequestHeaders>? headers, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        headers?.Invoke(request.Headers);
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ChannelDeliveryException($"Channel '{channelName}' ({Type}) answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
    }

    protected static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}

internal sealed class SlackSender(IHttpClientFactory clients) : HttpChannelSender(clients)
{
    public override ChannelType Type => ChannelType.Slack;

    public override Task SendAsync(DeliverNotification n, ChannelOptions channel, CancellationToken cancellationToken) =>
        PostAsync(n.Channel, channel.Url!, Utf8(ChannelPayloads.Slack(n.Content)), null, cancellationToken);
}

internal sealed class TeamsSender(IHttpClientFactory clients) : HttpChannelSender(clients)
{
    public override ChannelType Type => ChannelType.Teams;

    public override Task SendAsync(DeliverNotification n, ChannelOptions channel, CancellationToken cancellationToken) =>
        PostAsync(n.Channel, channel.Url!, Utf8(ChannelPayloads.Teams(n.Content)), null, cancellationToken);
}

/// <summary>Generic webhook: the body is signed with HMAC-SHA256 over its exact bytes, sent as
/// <c>X-HarborBridge-Signature: sha256=&lt;lower-case hex&gt;</c>.</summary>
internal sealed class WebhookSender(IHttpClientFactory clients) : HttpChannelSender(clients)
{
    public const string SignatureHeader = "X-HarborBridge-Signature";
    public const string IdHeader = "X-HarborBridge-Notification-Id";

    public override ChannelType Type => ChannelType.Webhook;

    public override Task SendAsync(DeliverNotification n, ChannelOptions channel, CancellationToken cancellationToken)
    {
        var body = ChannelPayloads.Webhook(n);
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(channel.Secret!), body));
        return PostAsync(n.Channel, channel.Url!, body, h =>
        {
            h.Add(SignatureHeader, signature);
            h.Add(IdHeader, n.NotificationId);
        }, cancellationToken);
    }
}

internal sealed class PagerDutySender(IHttpClientFactory clients) : HttpChannelSender(clients)
{
    public const string DefaultUrl = "https://events.pagerduty.com/v2/enqueue";

    public override ChannelType Type => ChannelType.PagerDuty;

    public override Task SendAsync(DeliverNotification n, ChannelOptions channel, CancellationToken cancellationToken) =>
        PostAsync(n.Channel, channel.Url ?? DefaultUrl, Utf8(ChannelPayloads.PagerDuty(n, channel.RoutingKey!)), null, cancellationToken);
}

/// <summary>E-mail over SMTP with MailKit: TLS per <see cref="ChannelOptions.Security"/>, login when a user name is set,
/// a plain-text and an HTML part.</summary>
internal sealed class EmailSender : IChannelSender
{
    public ChannelType Type => ChannelType.Email;

    public async Task SendAsync(DeliverNotification n, ChannelOptions channel, CancellationToken cancellationToken)
    {
        var (subject, text, html) = ChannelPayloads.Email(n.Content);
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(channel.From!));
        foreach (var to in NotificationOptionsValidator.Recipients(channel))
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = subject;
        message.Headers.Add("X-HarborBridge-Notification-Id", n.NotificationId);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();

        using var smtp = new SmtpClient { Timeout = 30_000 };
        if (channel.AllowInvalidCertificate)
        {
            smtp.ServerCertificateValidationCallback = (_, _, _, _) => true;
        }

        var security = channel.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.Auto,
        };
        try
        {
            await smtp.ConnectAsync(channel.Host!, channel.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(channel.Username))
            {
                if (!smtp.IsSecure && channel.Security != SmtpSecurity.None)
                {
                    throw new ChannelDeliveryException($"Channel '{n.Channel}' (Email): the connection to {channel.Host} is not encrypted, so the SMTP " +
                        "password is not sent. Use a server with STARTTLS, or set Security=None to allow a plain login.");
                }

                await smtp.AuthenticateAsync(channel.Username, channel.Password ?? "", cancellationToken);
            }

            await smtp.SendAsync(message, cancellationToken);
            await smtp.DisconnectAsync(true, cancellationToken);
        }
        catch (Exception e) when (e is MailKit.ServiceNotConnectedException or MailKit.ProtocolException or MailKit.CommandException
            or System.Net.Sockets.SocketException or AuthenticationException or SslHandshakeException or IOException)
        {
            throw new ChannelDeliveryException($"Channel '{n.Channel}' (Email) failed: {e.GetType().Name}: {e.Message}");
        }
    }
}
