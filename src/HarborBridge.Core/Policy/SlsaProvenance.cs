using System.Text.Json;

namespace HarborBridge.Core.Policy;

/// <summary>
/// Reads the builder id and source repository of a SLSA provenance predicate and checks them against a requirement.
/// v0.2 (<c>https://slsa.dev/provenance/v0.2</c>): <c>builder.id</c>; the source is <c>invocation.configSource.uri</c>, else
/// the first of <c>materials</c>. v1 (<c>https://slsa.dev/provenance/v1</c>): <c>runDetails.builder.id</c>; the source is
/// <c>buildDefinition.externalParameters.workflow.repository</c> (GitHub Actions builders), else the first of
/// <c>buildDefinition.resolvedDependencies</c>. Field names from slsa.dev/spec/v0.2/provenance and v1.0/provenance.
/// </summary>
public static class SlsaProvenance
{
    public const string V02 = "https://slsa.dev/provenance/v0.2";
    public const string V1 = "https://slsa.dev/provenance/v1";

    public static bool IsProvenance(string predicateType) => predicateType is V02 or V1;

    /// <summary>Null when the statement names the builder and source the requirement asks for (or it asks for neither).</summary>
    public static string? Check(byte[]? statement, AttestationRequirement required)
    {
        ArgumentNullException.ThrowIfNull(required);
        if (required.BuilderId is null && required.SourceRepository is null)
        {
            return null;
        }

        if (!TryRead(statement, out var builder, out var source))
        {
            return "the statement has no SLSA provenance predicate";
        }

        if (required.BuilderId is { } builderId && !string.Equals(builder, builderId, StringComparison.Ordinal))
        {
            return $"builder id is '{builder ?? "(none)"}', not '{builderId}'";
        }

        if (required.SourceRepository is { } repository && !string.Equals(Normalise(source), Normalise(repository), StringComparison.Ordinal))
        {
            return $"source repository is '{source ?? "(none)"}', not '{repository}'";
        }

        return null;
    }

    /// <summary>The builder id and source repository (as written) of a provenance statement.</summary>
    public static bool TryRead(byte[]? statement, out string? builderId, out string? sourceRepository)
    {
        builderId = null;
        sourceRepository = null;
        if (statement is null)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(statement);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("predicate", out var predicate) || predicate.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            switch (String(root, "predicateType"))
            {
                case V02:
                    builderId = String(predicate, "builder", "id");
                    sourceRepository = String(predicate, "invocation", "configSource", "uri") ?? FirstUri(predicate, "materials");
                    return true;
                case V1:
                    builderId = String(predicate, "runDetails", "builder", "id");
                    sourceRepository = String(predicate, "buildDefinition", "externalParameters", "workflow", "repository")
                        ?? (predicate.TryGetProperty("buildDefinition", out var definition) ? FirstUri(definition, "resolvedDependencies") : null);
                    return true;
                default:
                    return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // "git+https://github.com/acme/app@refs/heads/main" and "https://github.com/acme/app.git" both name https://github.com/acme/app.
    private static string? Normalise(string? uri)
    {
        if (uri is null)
        {
            return null;
        }

        var value = uri.StartsWith("git+", StringComparison.Ordinal) ? uri[4..] : uri;
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        var at = value.IndexOf('@', schemeEnd < 0 ? 0 : schemeEnd + 3);
        if (at >= 0)
        {
            value = value[..at];
        }

        value = value.TrimEnd('/');
        return value.EndsWith(".git", StringComparison.Ordinal) ? value[..^4] : value;
    }

    private static string? FirstUri(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
            ? String(list[0], "uri")
            : null;

    private static string? String(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
