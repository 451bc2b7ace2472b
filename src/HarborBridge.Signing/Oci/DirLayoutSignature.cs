using System.Text.Json;

namespace HarborBridge.Signing.Oci;

/// <summary>
/// containers/image's on-disk form of one sigstore signature (files <c>signature-1</c>, <c>signature-2</c>, … next to
/// <c>manifest.json</c> in a <c>dir:</c> layout): a NUL byte, <c>sigstore-json</c>, a newline, then JSON
/// <c>{"mimeType","payload"(base64),"annotations"}</c>. Lets skopeo verify our signatures without a registry.
/// </summary>
public static class DirLayoutSignature
{
    private static readonly byte[] Prefix = [0, .. "sigstore-json\n"u8];

    public static string FileName(int oneBasedIndex) => "signature-" + oneBasedIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static byte[] Write(SignatureLayer layer)
    {
        using var buffer = new MemoryStream();
        buffer.Write(Prefix);
        using (var writer = new Utf8JsonWriter(buffer, SigningJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("mimeType", layer.MediaType);
            writer.WriteString("payload", Convert.ToBase64String(layer.Blob));
            writer.WriteStartObject("annotations");
            foreach (var (key, value) in layer.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static SignatureLayer Read(ReadOnlySpan<byte> file)
    {
        if (!file.StartsWith(Prefix))
        {
            throw new SignatureManifestException("not a sigstore signature file (missing the \\0sigstore-json header)");
        }

        try
        {
            using var document = JsonDocument.Parse(file[Prefix.Length..].ToArray());
            var root = document.RootElement;
            var mediaType = root.GetProperty("mimeType").GetString() ?? string.Empty;
            var payload = Convert.FromBase64String(root.GetProperty("payload").GetString() ?? string.Empty);
            var annotations = root.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
                ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
            return new SignatureLayer(mediaType, payload, annotations);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SignatureManifestException("the sigstore signature file's JSON is malformed", ex);
        }
    }
}
