using System.Text.Encodings.Web;
using System.Text.Json;

namespace HarborBridge.Signing;

internal static class SigningJson
{
    // Compact output without escaping '+' (media types such as "...+json" stay readable, as Go writes them).
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };
}
