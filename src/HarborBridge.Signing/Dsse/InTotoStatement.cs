using System.Text.Json;
using System.Text.Json.Nodes;

namespace HarborBridge.Signing.Dsse;

/// <summary>An in-toto Statement about one image: subject (repository + sha256 digest), predicate type and predicate.</summary>
public sealed record InTotoStatement(string SubjectName, string SubjectDigest, string PredicateType, JsonObject Predicate)
{
    public const string StatementV1 = "https://in-toto.io/Statement/v1";
    public const string StatementV01 = "https://in-toto.io/Statement/v0.1";

    /// <summary>Serialises with <c>_type</c> <see cref="StatementV1"/>.</summary>
    public byte[] ToJson()
    {
        var json = new JsonObject
        {
            ["_type"] = StatementV1,
            ["subject"] = new JsonArray(new JsonObject
            {
                ["name"] = SubjectName,
                ["digest"] = new JsonObject { ["sha256"] = ImageDigest.Hex(SubjectDigest) },
            }),
            ["predicateType"] = PredicateType,
            ["predicate"] = Predicate.DeepClone(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(json, SigningJson.Options);
    }

    public DsseEnvelope Sign(System.Security.Cryptography.ECDsa key) =>
        DsseEnvelope.Sign(key, DsseEnvelope.InTotoPayloadType, ToJson());

    /// <summary>
    /// Reads a statement (v0.1 or v1). Returns the predicate type and the sha256 digests of all subjects,
    /// which a verifier must match against the image digest.
    /// </summary>
    public static bool TryReadSubjects(ReadOnlySpan<byte> json, out string predicateType, out IReadOnlyList<string> subjectDigests)
    {
        predicateType = string.Empty;
        subjectDigests = [];
        try
        {
            var root = JsonNode.Parse(json) as JsonObject;
            var type = root?["_type"]?.GetValue<string>();
            if (root is null || type is not (StatementV1 or StatementV01) || root["subject"] is not JsonArray subjects)
            {
                return false;
            }

            predicateType = root["predicateType"]?.GetValue<string>() ?? string.Empty;
            subjectDigests = subjects
                .Select(s => s?["digest"]?["sha256"]?.GetValue<string>())
                .Where(h => h is not null)
                .Select(h => "sha256:" + h)
                .ToList();
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
