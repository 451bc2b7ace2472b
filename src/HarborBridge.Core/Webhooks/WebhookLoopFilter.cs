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

        // Harbor recognises only `.sig` tags as cosign accessories (src/server/middleware/cosign/cosign.go:43); an `.att` is an
        // artifact of its own there, and scan-on-push scans it. Deciding it would sign it, which writes a new `.att`: a loop.
        if (webhook.Type is HarborEventType.ScanningCompleted or HarborEventType.ScanningFailed or HarborEventType.ScanningStopped
            && webhook.Resources.Any(r => r.Tag is { } scanned && IsAccessoryTag(scanned)))
        {
            return "scan of a cosign signature, attestation or SBOM: accessories are never decided or signed";
        }

        return null;
    }

    /// <summary>True for the tags cosign gives signatures, attestations and SBOMs (<c>sha256-&lt;64 hex&gt;.sig</c>, <c>.att</c>,
    /// <c>.sbom</c>): the hex must be a whole digest of its algorithm (64, 96 or 128 characters) and the suffix one of cosign's,
    /// so that a tag such as <c>sha256-cafe</c> is an ordinary push and is scanned (audit #3). Harbor lists an attestation as
    /// an artifact of its own, but it is HarborBridge's (or cosign's) output, not something to decide. The OCI referrers
    /// fallback tag (<c>sha256-&lt;hex&gt;</c> with no suffix) is not one: anybody can push an image under such a tag, so it is
    /// judged by its manifest (<see cref="IsReferrersFallbackTag"/>, <see cref="IsAccessoryManifest"/>).</summary>
    public static bool IsAccessoryTag(string tag) => AccessoryTag().IsMatch(tag);

    /// <summary>True for a tag shaped like the OCI referrers fallback tag (<c>sha256-&lt;whole hex digest&gt;</c>, no suffix).
    /// Such a push is not ignored at the webhook; its manifest decides (an index listing only Sigstore referrers is an
    /// accessory, an image is scanned like any other).</summary>
    public static bool IsReferrersFallbackTag(string tag) => ReferrersFallbackTag().IsMatch(tag);

    /// <summary>True when Harbor's record of the artifact says it is a cosign/sigstore accessory: one of its tags is an
    /// accessory tag, or its artifact or manifest media type is cosign's or sigstore's (attestations and bundles pushed
    /// by digest). HarborBridge never decides, signs or attests such an artifact.</summary>
    public static bool IsAccessory(Harbor.HarborArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return artifact.Tags.Any(IsAccessoryTag) || new[] { artifact.Type, artifact.MediaType, artifact.ManifestMediaType }.Any(IsAccessoryMediaType);
    }

    /// <summary>True when a manifest is a cosign/sigstore accessory by its own content: it has a <c>subject</c> (an OCI
    /// referrer: Sigstore bundles, attestations pushed as referrers), or its artifact type, config or layers are cosign's,
    /// sigstore's, DSSE or in-toto media types, or it is an index listing only such referrers (the referrers fallback index
    /// <c>sha256-&lt;hex&gt;</c>, which loses its tag when the next referrer replaces it and is then listed untagged).
    /// False for anything that does not parse as a manifest.</summary>
    public static bool IsAccessoryManifest(ReadOnlySpan<byte> manifest)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(manifest);
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return false;
            }

            if (root.TryGetProperty("subject", out var subject) && subject.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                return true;
            }

            var types = new List<string?>();
            if (root.TryGetProperty("artifactType", out var artifactType) && artifactType.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                types.Add(artifactType.GetString());
            }

            if (root.TryGetProperty("config", out var config) && config.ValueKind == System.Text.Json.JsonValueKind.Object
                && config.TryGetProperty("mediaType", out var configType) && configType.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                types.Add(configType.GetString());
            }

            if (root.TryGetProperty("manifests", out var entries) && entries.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                var listed = entries.EnumerateArray().ToList();
                return listed.Count > 0 && listed.All(e => e.ValueKind == System.Text.Json.JsonValueKind.Object
                    && e.TryGetProperty("artifactType", out var entryType) && entryType.ValueKind == System.Text.Json.JsonValueKind.String
                    && IsAccessoryMediaType(entryType.GetString()));
            }

            if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                types.AddRange(layers.EnumerateArray()
                    .Where(l => l.ValueKind == System.Text.Json.JsonValueKind.Object && l.TryGetProperty("mediaType", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.String)
                    .Select(l => l.GetProperty("mediaType").GetString()));
            }

            return types.Any(IsAccessoryMediaType);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static bool IsAccessoryMediaType(string? type) => type is not null
        && (type.Contains("cosign", StringComparison.OrdinalIgnoreCase) || type.Contains("sigstore", StringComparison.OrdinalIgnoreCase)
            || type.Contains("dsse", StringComparison.OrdinalIgnoreCase) || type.Contains("in-toto", StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex("^(sha256-[a-f0-9]{64}|sha384-[a-f0-9]{96}|sha512-[a-f0-9]{128})\\.(sig|att|sbom)\\z")]
    private static partial Regex AccessoryTag();

    [GeneratedRegex("^(sha256-[a-f0-9]{64}|sha384-[a-f0-9]{96}|sha512-[a-f0-9]{128})\\z")]
    private static partial Regex ReferrersFallbackTag();
}
