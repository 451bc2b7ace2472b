using System.Text.Json;

namespace HarborBridge.Signing.SimpleSigning;

/// <summary>
/// The "simple signing" JSON that a legacy cosign signature covers. Written with cosign's key order
/// (<c>critical</c>{<c>identity</c>, <c>image</c>, <c>type</c>}, <c>optional</c>), and read as strictly as
/// containers/image reads it, so anything we accept skopeo accepts too.
/// </summary>
public sealed record SimpleSigningPayload(
    string DockerReference,
    string ManifestDigest,
    IReadOnlyDictionary<string, JsonElement>? Optional)
{
    public const string SignatureType = "cosign container image signature";

    /// <summary>The payload bytes to store and sign. <c>optional</c> is <c>null</c> when there are no annotations, as cosign writes it.</summary>
    public static byte[] Create(string dockerReference, string manifestDigest, IReadOnlyDictionary<string, string>? annotations = null)
    {
        ImageDigest.Validate(manifestDigest);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SigningJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("critical");
            writer.WriteStartObject("identity");
            writer.WriteString("docker-reference", dockerReference);
            writer.WriteEndObject();
            writer.WriteStartObject("image");
            writer.WriteString("docker-manifest-digest", manifestDigest);
            writer.WriteEndObject();
            writer.WriteString("type", SignatureType);
            writer.WriteEndObject();
            if (annotations is null || annotations.Count == 0)
            {
                writer.WriteNull("optional");
            }
            else
            {
                writer.WriteStartObject("optional");
                foreach (var (key, value) in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses payload bytes; throws <see cref="SimpleSigningPayloadException"/> naming the first violation.</summary>
    public static SimpleSigningPayload Parse(ReadOnlySpan<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray());
        }
        catch (JsonException ex)
        {
            throw new SimpleSigningPayloadException("the payload is not valid JSON", ex);
        }

        using (document)
        {
            var root = RequireObject(document.RootElement, "payload", "critical", "optional");
            var critical = RequireObject(root["critical"], "critical", "type", "image", "identity");
            var type = RequireString(critical["type"], "critical.type");
            if (type != SignatureType)
            {
                throw new SimpleSigningPayloadException($"critical.type is '{type}', expected '{SignatureType}'");
            }

            var image = RequireObject(critical["image"], "critical.image", "docker-manifest-digest");
            var digest = RequireString(image["docker-manifest-digest"], "critical.image.docker-manifest-digest");
            var identity = RequireObject(critical["identity"], "critical.identity", "docker-reference");
            var reference = RequireString(identity["docker-reference"], "critical.identity.docker-reference");

            var optionalElement = root["optional"];
            Dictionary<string, JsonElement>? optional = null;
            if (optionalElement.ValueKind == JsonValueKind.Object)
            {
                optional = optionalElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
                if (optional.TryGetValue("timestamp", out var timestamp) &&
                    (timestamp.ValueKind != JsonValueKind.Number || !timestamp.TryGetInt64(out _)))
                {
                    throw new SimpleSigningPayloadException("optional.timestamp must be an integer");
                }
            }
            else if (optionalElement.ValueKind != JsonValueKind.Null)
            {
                throw new SimpleSigningPayloadException("optional must be an object or null");
            }

            return new SimpleSigningPayload(reference, digest, optional);
        }
    }

    // Exactly the named keys, each once: containers/image rejects missing, unknown and duplicate keys.
    private static Dictionary<string, JsonElement> RequireObject(JsonElement element, string path, params string[] keys)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new SimpleSigningPayloadException($"{path} must be a JSON object");
        }

        var seen = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!keys.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new SimpleSigningPayloadException($"unexpected key \"{property.Name}\" in {path}");
            }

            if (!seen.TryAdd(property.Name, property.Value))
            {
                throw new SimpleSigningPayloadException($"duplicate key \"{property.Name}\" in {path}");
            }
        }

        foreach (var key in keys)
        {
            if (!seen.ContainsKey(key))
            {
                throw new SimpleSigningPayloadException($"key \"{key}\" missing in {path}");
            }
        }

        return seen;
    }

    private static string RequireString(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new SimpleSigningPayloadException($"{path} must be a string");
}

/// <summary>A simple-signing payload does not have the shape verifiers demand.</summary>
public sealed class SimpleSigningPayloadException(string message, Exception? innerException = null)
    : Exception("Invalid simple-signing payload: " + message, innerException);
