using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;

namespace HarborBridge.Core.Notifications;

/// <summary>Formats rendered content for each channel. Pure: the channel senders only post what these return.</summary>
public static class ChannelPayloads
{
    private const int MaxFindingsShown = 10;

    private static readonly JsonSerializerOptions WebhookJson = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>Slack incoming webhook body: <c>text</c> (notification fallback) and Block Kit <c>blocks</c>.</summary>
    public static JsonObject Slack(NotificationContent c)
    {
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = PlainText(Cut(c.Title, 150)) },
            Section(Escape(c.Summary)),
            new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray([.. c.Facts.Take(10).Select(f => (JsonNode)Markdown(Cut($"*{Escape(f.Label)}*\n{Escape(f.Value)}", 2000)))]),
            },
        };
        if (c.Findings.Count > 0)
        {
            blocks.Add(Section("*Findings that decided it*\n" + FindingLines(c.Findings, linkFormat: (text, url) => $"<{Escape(url).Replace("|", "%7C", StringComparison.Ordinal)}|{Escape(text)}>", escape: Escape)));
        }

        if (c.Added.Count + c.Removed.Count > 0)
        {
            blocks.Add(Section("*What changed*\n" + ChangeLines(c, Escape)));
        }

        blocks.Add(Section("*What to do*\n" + Escape(c.NextSteps)));
        if (c.Links.Count > 0)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray([.. c.Links.Take(5).Select(l => (JsonNode)new JsonObject
                {
                    ["type"] = "button",
                    ["text"] = PlainText(Cut(l.Label, 75)),
                    ["url"] = l.Url,
                })]),
            });
        }

        blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Markdown("Sent by HarborBridge")) });
        return new JsonObject { ["text"] = Cut(Escape($"{c.Title}: {c.Summary}"), 3000), ["blocks"] = blocks };

        static JsonObject Section(string markdown) => new() { ["type"] = "section", ["text"] = Markdown(Cut(markdown, 3000)) };
    }

    /// <summary>Teams incoming webhook / workflow body: a message with one Adaptive Card (version 1.4) attachment.</summary>
    public static JsonObject Teams(NotificationContent c)
    {
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = TeamsEscape(c.Title), ["size"] = "Large", ["weight"] = "Bolder", ["wrap"] = true },
            new JsonObject { ["type"] = "TextBlock", ["text"] = TeamsEscape(c.Summary), ["wrap"] = true },
            new JsonObject
            {
                ["type"] = "FactSet",
                ["facts"] = new JsonArray([.. c.Facts.Select(f => (JsonNode)new JsonObject { ["title"] = TeamsEscape(f.Label), ["value"] = TeamsEscape(f.Value) })]),
            },
        };
        if (c.Findings.Count > 0)
        {
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = "Findings that decided it", ["weight"] = "Bolder", ["wrap"] = true });
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = FindingLines(c.Findings, linkFormat: (text, url) => $"[{TeamsEscape(text)}]({url.Replace("(", "%28", StringComparison.Ordinal).Replace(")", "%29", StringComparison.Ordinal)})", escape: TeamsEscape),
                ["wrap"] = true,
            });
        }

        if (c.Added.Count + c.Removed.Count > 0)
        {
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = "What changed\n\n" + ChangeLines(c, TeamsEscape), ["wrap"] = true });
        }

        body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = "What to do: " + TeamsEscape(c.NextSteps), ["wrap"] = true });
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = body,
        };
        if (c.Links.Count > 0)
        {
            card["actions"] = new JsonArray([.. c.Links.Select(l => (JsonNode)new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = l.Label, ["url"] = l.Url })]);
        }

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = card,
            }),
        };
    }

    /// <summary>Generic webhook body (UTF-8 JSON, camelCase). The bytes returned are exactly the bytes signed and sent.</summary>
    public static byte[] Webhook(DeliverNotification n) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        id = n.NotificationId,
        kind = n.Content.Kind,
        action = n.Action,
        incidentKey = n.IncidentKey,
        route = n.Route,
        createdAt = n.CreatedAt,
        content = n.Content,
    }, WebhookJson);

    /// <summary>PagerDuty Events API v2 body: <c>trigger</c> with the full story, or <c>resolve</c> for the same dedup_key.</summary>
    public static JsonObject PagerDuty(DeliverNotification n, string routingKey)
    {
        var body = new JsonObject
        {
            ["routing_key"] = routingKey,
            ["event_action"] = n.Action,
            ["dedup_key"] = n.IncidentKey,
        };
        if (n.Action == NotificationActions.Resolve)
        {
            return body;
        }

        var c = n.Content;
        var details = new JsonObject();
        foreach (var f in c.Facts)
        {
            details[f.Label] = f.Value;
        }

        details["findings"] = new JsonArray([.. c.Findings.Select(f => (JsonNode)NotificationRenderer.Describe(f))]);
        details["what_to_do"] = c.NextSteps;
        body["client"] = "HarborBridge";
        body["payload"] = new JsonObject
        {
            ["summary"] = Cut(c.Title + ". " + c.Summary, 1024),
            ["source"] = c.Artifact?.FullRepository ?? "harborbridge",
            ["severity"] = c.Severity,
            ["component"] = c.Artifact?.Repository,
            ["group"] = c.Artifact?.Project,
            ["class"] = c.Kind,
            ["custom_details"] = details,
        };
        body["links"] = new JsonArray([.. c.Links.Select(l => (JsonNode)new JsonObject { ["href"] = l.Url, ["text"] = l.Label })]);
        return body;
    }

    /// <summary>E-mail subject, plain-text body and HTML body.</summary>
    public static (string Subject, string Text, string Html) Email(NotificationContent c)
    {
        var text = new StringBuilder();
        text.AppendLine(c.Title).AppendLine().AppendLine(c.Summary).AppendLine();
        foreach (var f in c.Facts)
        {
            text.Append(f.Label).Append(": ").AppendLine(f.Value);
        }

        if (c.Findings.Count > 0)
        {
            text.AppendLine().AppendLine("Findings that decided it:")
                .AppendLine(FindingLines(c.Findings, (t, url) => $"{t} <{url}>", s => s));
        }

        if (c.Added.Count + c.Removed.Count > 0)
        {
            text.AppendLine().AppendLine("What changed:").AppendLine(ChangeLines(c, s => s));
        }

        text.AppendLine().Append("What to do: ").AppendLine(c.NextSteps);
        foreach (var l in c.Links)
        {
            text.Append(l.Label).Append(": ").AppendLine(l.Url);
        }

        var e = (Func<string, string>)WebUtility.HtmlEncode;
        var html = new StringBuilder();
        html.Append("<html><body><h2>").Append(e(c.Title)).Append("</h2><p>").Append(e(c.Summary)).Append("</p><table>");
        foreach (var f in c.Facts)
        {
            html.Append("<tr><th align=\"left\">").Append(e(f.Label)).Append("</th><td>").Append(e(f.Value)).Append("</td></tr>");
        }

        html.Append("</table>");
        if (c.Findings.Count > 0)
        {
            html.Append("<h3>Findings that decided it</h3><ul>");
            foreach (var f in c.Findings)
            {
                var line = e(NotificationRenderer.Describe(f));
                html.Append("<li>").Append(f.Link is { Length: > 0 } link ? $"<a href=\"{e(link)}\">{line}</a>" : line).Append("</li>");
            }

            html.Append("</ul>");
        }

        if (c.Added.Count + c.Removed.Count > 0)
        {
            html.Append("<h3>What changed</h3><pre>").Append(e(ChangeLines(c, s => s))).Append("</pre>");
        }

        html.Append("<p><b>What to do:</b> ").Append(e(c.NextSteps)).Append("</p>");
        foreach (var l in c.Links)
        {
            html.Append("<p><a href=\"").Append(e(l.Url)).Append("\">").Append(e(l.Label)).Append("</a></p>");
        }

        html.Append("</body></html>");
        return (c.Title, text.ToString(), html.ToString());
    }

    private static string FindingLines(IReadOnlyList<DecidingFinding> findings, Func<string, string, string> linkFormat, Func<string, string> escape)
    {
        var lines = findings.Take(MaxFindingsShown).Select(f =>
        {
            var text = NotificationRenderer.Describe(f);
            return "• " + (f.Link is { Length: > 0 } link ? linkFormat(text, link) : escape(text));
        }).ToList();
        if (findings.Count > MaxFindingsShown)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"… and {findings.Count - MaxFindingsShown} more"));
        }

        return string.Join('\n', lines);
    }

    private static string ChangeLines(NotificationContent c, Func<string, string> escape) =>
        string.Join('\n', c.Added.Select(a => "+ new: " + escape(a)).Concat(c.Removed.Select(r => "- gone: " + escape(r))));

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text };

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    // Slack mrkdwn treats &, < and > as control characters.
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    // Adaptive Card TextBlocks render a Markdown subset: a backslash makes each of its control characters literal, so
    // text from reports, reasons or Harbor cannot add links, emphasis or headings.
    private static string TeamsEscape(string text)
    {
        var result = new StringBuilder(text.Length + 8);
        foreach (var ch in text)
        {
            if (ch is '\\' or '*' or '_' or '[' or ']' or '(' or ')' or '`' or '~' or '#' or '<' or '>' or '!')
            {
                result.Append('\\');
            }

            result.Append(ch);
        }

        return result.ToString();
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>Values of <see cref="DeliverNotification.Action"/>.</summary>
public static class NotificationActions
{
    public const string Trigger = "trigger";
    public const string Resolve = "resolve";
}
