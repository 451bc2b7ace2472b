using System.Text.Json;
using System.Text.Json.Serialization;

namespace HarborBridge.Core.Policy;

/// <summary>Writes a <see cref="Glob"/> as its pattern (policy hashing and JSON output).</summary>
internal sealed class GlobJsonConverter : JsonConverter<Glob>
{
    public override Glob Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Glob.TryParse(reader.GetString() ?? "", out var glob, out var error) ? glob : throw new JsonException(error);

    public override void Write(Utf8JsonWriter writer, Glob value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Pattern);
}
