using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HarborBridge.Core.Webhooks;

/// <summary>
/// Parses Harbor's Default (<c>application/json</c>) and CloudEvents (<c>application/cloudevents+json</c>)
/// webhook bodies into <see cref="HarborWebhookEvent"/>. Unknown fields are ignored (Harbor adds fields
/// between versions); missing required fields are errors.
/// </summary>
public static partial class HarborWebhookParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    /// <summary>Harbor's own limit for project and repository names (its database columns are varchar(255)).</summary>
    public const int MaxNameLength = 255;

    /// <summary>Default for <c>HarborBridge:Webhook:MaxResources</c>: Harbor sends one resource per artifact event.</summary>
    public const int DefaultMaxResources = 100;

    public static HarborWebhookEvent Parse(ReadOnlySpan<byte> body, WebhookPayloadFormat format, int maxResources = DefaultMaxResources)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new WebhookParseException("The body is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new WebhookParseException($"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookParseException("The body must be a JSON object.");
            }

            return format == WebhookPayloadFormat.CloudEvents
                ? ParseCloudEvent(root, body, maxResources)
                : ParseDefault(root, body, maxResources);
        }
    }

    private static HarborWebhookEvent ParseDefault(JsonElement root, ReadOnlySpan<byte> body, int maxResources)
    {
        if (root.TryGetProperty("specversion", out _))
        {
            throw new WebhookParseException("The body is a CloudEvent; send it with Content-Type application/cloudevents+json.");
        }

        var rawType = RequiredString(root, "type", "type");
        var occurredAt = root.TryGetProperty("occur_at", out var occur) && occur.ValueKind == JsonValueKind.Number && occur.TryGetInt64(out var seconds)
            ? FromUnixSeconds(seconds, "occur_at")
            : throw new WebhookParseException("Field 'occur_at' is missing or not a whole number of seconds.");
        var data = RequiredObject(root, "event_data", "event_data");
        var eventId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        return Build(eventId, HarborEventTypes.FromDefault(rawType), rawType, WebhookPayloadFormat.Default,
            occurredAt, OptionalString(root, "operator"), data, "event_data", maxResources);
    }

    private static HarborWebhookEvent ParseCloudEvent(JsonElement root, ReadOnlySpan<byte> body, int maxResources)
    {
        var specVersion = RequiredString(root, "specversion", "specversion");
        if (specVersion != "1.0")
        {
            throw new WebhookParseException("Field 'specversion' must be \"1.0\".");
        }

        var id = RequiredString(root, "id", "id");
        if (id.Length > 200)
        {
            throw new WebhookParseException("Field 'id' is longer than 200 characters.");
        }

        var rawType = RequiredString(root, "type", "type");
        var timeText = RequiredString(root, "time", "time");
        if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            throw new WebhookParseException("Field 'time' is not an RFC 3339 timestamp.");
        }

        var data = RequiredObject(root, "data", "data");
        // The sender's id alone is not trusted as the identity: a different event reusing an id must not be taken
        // for a retry. Harbor's retries resend the same bytes, so id + body hash still matches them.
        var eventId = $"ce:{id}:{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}";
        return Build(eventId, HarborEventTypes.FromCloudEvents(rawType), rawType, WebhookPayloadFormat.CloudEvents,
            time.ToUniversalTime(), OptionalString(root, "operator"), data, "data", maxResources);
    }

    private static HarborWebhookEvent Build(
        string eventId, HarborEventType type, string rawType, WebhookPayloadFormat format,
        DateTimeOffset occurredAt, string? @operator, JsonElement data, string dataName, int maxResources)
    {
        var repository = ParseRepository(data, dataName, required: type.IsArtifactEvent());
        var resources = ParseResources(data, dataName, required: type.IsArtifactEvent(), maxResources);
        string? scanType = null;
        if (data.TryGetProperty("scan", out var scan) && scan.ValueKind == JsonValueKind.Object)
        {
            scanType = OptionalString(scan, "scan_type");
        }

        return new HarborWebhookEvent(eventId, type, rawType, format, occurredAt, @operator, repository, resources,
            scanType, Details(type, data));
    }

    private static WebhookRepository? ParseRepository(JsonElement data, string dataName, bool required)
    {
        if (!data.TryGetProperty("repository", out var repo) || repo.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new WebhookParseException($"Field '{dataName}.repository' is missing.") : null;
        }

        if (repo.ValueKind != JsonValueKind.Object)
        {
            throw new WebhookParseException($"Field '{dataName}.repository' must be an object.");
        }

        var project = RequiredString(repo, "namespace", $"{dataName}.repository.namespace");
        var name = RequiredString(repo, "name", $"{dataName}.repository.name");
        if (project.Length > MaxNameLength || name.Length > MaxNameLength)
        {
            throw new WebhookParseException($"Field '{dataName}.repository' has a project or repository name longer than {MaxNameLength} characters (Harbor's limit).");
        }

        if (!NamePattern().IsMatch(project) || !RepositoryPattern().IsMatch(name))
        {
            throw new WebhookParseException($"Field '{dataName}.repository' has a project or repository name Harbor would not accept.");
        }

        return new WebhookRepository(project, name, OptionalString(repo, "repo_full_name"), OptionalString(repo, "repo_type"));
    }

    private static List<WebhookResource> ParseResources(JsonElement data, string dataName, bool required, int maxResources)
    {
        var list = new List<WebhookResource>();
        if (!data.TryGetProperty("resources", out var resources) || resources.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new WebhookParseException($"Field '{dataName}.resources' is missing.") : list;
        }

        if (resources.ValueKind != JsonValueKind.Array)
        {
            throw new WebhookParseException($"Field '{dataName}.resources' must be an array.");
        }

        if (resources.GetArrayLength() > maxResources)
        {
            throw new WebhookParseException(
                $"Field '{dataName}.resources' has {resources.GetArrayLength()} entries; at most {maxResources} are accepted (HarborBridge:Webhook:MaxResources).");
        }

        var index = 0;
        foreach (var item in resources.EnumerateArray())
        {
            var path = $"{dataName}.resources[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookParseException($"Field '{path}' must be an object.");
            }

            var digest = RequiredString(item, "digest", $"{path}.digest");
            if (!DigestPattern().IsMatch(digest))
            {
                throw new WebhookParseException($"Field '{path}.digest' is not a sha256/sha384/sha512 digest.");
            }

            var tag = OptionalString(item, "tag");
            if (tag == digest || string.IsNullOrEmpty(tag))
            {
                tag = null; // pushed or pulled by digest: Harbor repeats the digest in 'tag'.
            }
            else if (!TagPattern().IsMatch(tag))
            {
                throw new WebhookParseException($"Field '{path}.tag' is not a valid tag.");
            }

            list.Add(new WebhookResource(digest, tag, OptionalString(item, "resource_url"), ParseScanOverview(item, path)));
        }

        return required && list.Count == 0
            ? throw new WebhookParseException($"Field '{dataName}.resources' is empty.")
            : list;
    }

    private static ScanOverview? ParseScanOverview(JsonElement resource, string path)
    {
        if (!resource.TryGetProperty("scan_overview", out var overview) || overview.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        // Keyed by report MIME type; the vulnerability report is the one that decides.
        foreach (var entry in overview.EnumerateObject())
        {
            if (!entry.Name.StartsWith("application/vnd.security.vulnerability.report", StringComparison.Ordinal) &&
                !entry.Name.StartsWith("application/vnd.scanner.adapter.vuln.report", StringComparison.Ordinal))
            {
                continue;
            }

            var value = entry.Value;
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookParseException($"Field '{path}.scan_overview' must map MIME types to objects.");
            }

            var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            int? total = null, fixable = null;
            if (value.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.Object)
            {
                total = OptionalInt(summary, "total");
                fixable = OptionalInt(summary, "fixable");
                if (summary.TryGetProperty("summary", out var bySeverity) && bySeverity.ValueKind == JsonValueKind.Object)
                {
                    foreach (var s in bySeverity.EnumerateObject())
                    {
                        if (s.Value.ValueKind == JsonValueKind.Number && s.Value.TryGetInt32(out var n))
                        {
                            counts[s.Name] = n;
                        }
                    }
                }
            }

            string? scannerName = null, scannerVersion = null;
            if (value.TryGetProperty("scanner", out var scanner) && scanner.ValueKind == JsonValueKind.Object)
            {
                scannerName = OptionalString(scanner, "name");
                scannerVersion = OptionalString(scanner, "version");
            }

            return new ScanOverview(entry.Name, OptionalString(value, "report_id"),
                OptionalString(value, "scan_status") ?? "Unknown", OptionalString(value, "severity"),
                total, fixable, counts, scannerName, scannerVersion);
        }

        return null;
    }

    private static string? Details(HarborEventType type, JsonElement data)
    {
        switch (type)
        {
            case HarborEventType.QuotaExceed or HarborEventType.QuotaWarning
                when data.TryGetProperty("custom_attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Object:
                return Truncate(OptionalString(attrs, "Details"));
            case HarborEventType.Replication when data.TryGetProperty("replication", out var rep) && rep.ValueKind == JsonValueKind.Object:
                return Truncate($"status={OptionalString(rep, "job_status")} trigger={OptionalString(rep, "trigger_type")}");
            case HarborEventType.TagRetention when data.TryGetProperty("retention", out var ret) && ret.ValueKind == JsonValueKind.Object:
                return Truncate($"project={OptionalString(ret, "project_name")} total={OptionalInt(ret, "total")} retained={OptionalInt(ret, "retained")} result={OptionalString(ret, "result")}");
            default:
                return null;
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 500 } ? text[..500] : text;

    private static DateTimeOffset FromUnixSeconds(long seconds, string field) =>
        seconds is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new WebhookParseException($"Field '{field}' is not a plausible Unix time.");

    private static string RequiredString(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new WebhookParseException($"Field '{path}' is missing.");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WebhookParseException($"Field '{path}' must be a string.");
        }

        var text = value.GetString();
        return string.IsNullOrWhiteSpace(text)
            ? throw new WebhookParseException($"Field '{path}' is empty.")
            : text;
    }

    private static JsonElement RequiredObject(JsonElement element, string name, string path) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw new WebhookParseException($"Field '{path}' is missing or not an object.");

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? OptionalInt(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    [GeneratedRegex("^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})\\z")]
    private static partial Regex DigestPattern();

    // OCI distribution spec tag grammar.
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\\z")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*\\z")]
    private static partial Regex NamePattern();

    // Repository path components per the distribution spec, separated by '/'.
    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\\z")]
    private static partial Regex RepositoryPattern();
}
