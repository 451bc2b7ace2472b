using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Extensions;
using Microsoft.OpenApi.Models;
using Microsoft.OpenApi.Readers;
using Microsoft.OpenApi.Writers;

namespace HarborBridge.UnitTests.Harbor;

/// <summary>Holds a recorded HTTP request against Harbor's swagger.yaml: the path must match a template, the method
/// an operation, every query parameter and non-standard header must be declared (with a value of the declared type),
/// required ones present, path values URL-safe, and a JSON body must validate against the body schema, with objects
/// closed (no undeclared fields) so that a misspelt field fails.</summary>
internal sealed class HarborSwaggerContract
{
    private const string BasePath = "/api/v2.0";

    // Headers every HTTP client sends; the spec describes only API-specific ones.
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Accept", "Accept-Encoding", "User-Agent", "Content-Type", "Content-Length", "Host", "traceparent", "tracestate",
    };

    private readonly OpenApiDocument _document;
    private readonly JsonObject _definitions;

    private HarborSwaggerContract(OpenApiDocument document, JsonObject definitions)
    {
        _document = document;
        _definitions = definitions;
    }

    public static HarborSwaggerContract Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "harbor", "swagger.yaml");
        using var stream = File.OpenRead(path);
        var document = new OpenApiStreamReader().Read(stream, out var diagnostic);
        if (diagnostic.Errors.Count > 0)
        {
            throw new InvalidOperationException("swagger.yaml did not load: " + string.Join("; ", diagnostic.Errors.Select(e => e.Message)));
        }

        var json = JsonNode.Parse(document.SerializeAsJson(OpenApiSpecVersion.OpenApi2_0))!.AsObject();
        var definitions = json["definitions"]!.AsObject();
        foreach (var (_, schema) in definitions)
        {
            Close(schema);
        }

        return new HarborSwaggerContract(document, definitions);
    }

    public int OperationCount => _document.Paths.Sum(p => p.Value.Operations.Count);

    /// <summary>Returns the problems found; empty when the request follows the spec.</summary>
    public IReadOnlyList<string> Check(RecordedRequest request)
    {
        var problems = new List<string>();
        var rawPath = request.Uri.GetComponents(UriComponents.Path, UriFormat.UriEscaped);
        rawPath = "/" + rawPath.TrimStart('/');
        if (!rawPath.StartsWith(BasePath + "/", StringComparison.Ordinal))
        {
            return [$"{request.Method} {rawPath}: not under {BasePath}"];
        }

        var segments = rawPath[BasePath.Length..].Trim('/').Split('/');
        var match = FindTemplate(segments);
        if (match is null)
        {
            return [$"{request.Method} {rawPath}: no path template in swagger.yaml matches"];
        }

        var (template, pathItem, pathValues) = match.Value;
        var where = $"{request.Method} {template}";
        if (!pathItem.Operations.TryGetValue(ToOperationType(request.Method), out var operation))
        {
            return [$"{where}: the spec has no {request.Method} operation on this path"];
        }

        var parameters = pathItem.Parameters.Concat(operation.Parameters).ToList();

        foreach (var (name, escaped) in pathValues)
        {
            var parameter = parameters.FirstOrDefault(p => p.In == ParameterLocation.Path && p.Name == name);
            var once = Uri.UnescapeDataString(escaped);
            if (parameter is null)
            {
                problems.Add($"{where}: path parameter {name} is not declared");
            }
            else if (once.Contains('/', StringComparison.Ordinal))
            {
                problems.Add($"{where}: path value '{escaped}' of {name} holds a '/' after one decoding (Harbor needs it encoded twice)");
            }
            else
            {
                problems.AddRange(CheckValue(where, parameter, once));
            }
        }

        var query = ParseQuery(request.Uri.Query);
        foreach (var (name, value) in query)
        {
            var parameter = parameters.FirstOrDefault(p => p.In == ParameterLocation.Query && p.Name == name);
            if (parameter is null)
            {
                problems.Add($"{where}: query parameter '{name}' is not declared");
            }
            else
            {
                problems.AddRange(CheckValue(where, parameter, value));
            }
        }

        foreach (var (name, value) in request.Headers)
        {
            if (TransportHeaders.Contains(name))
            {
                continue;
            }

            var parameter = parameters.FirstOrDefault(p => p.In == ParameterLocation.Header && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (parameter is null)
            {
                problems.Add($"{where}: header '{name}' is not declared");
            }
            else
            {
                problems.AddRange(CheckValue(where, parameter, value));
            }
        }

        foreach (var required in parameters.Where(p => p.Required))
        {
            var present = required.In switch
            {
                ParameterLocation.Query => query.Any(q => q.Name == required.Name),
                ParameterLocation.Header => request.Headers.ContainsKey(required.Name),
                _ => true,
            };
            if (!present)
            {
                problems.Add($"{where}: required {required.In} parameter '{required.Name}' is missing");
            }
        }

        problems.AddRange(CheckBody(where, operation, request));
        return problems;
    }

    private IEnumerable<string> CheckBody(string where, OpenApiOperation operation, RecordedRequest request)
    {
        var hasBody = request.Body.Length > 0;
        if (operation.RequestBody is null)
        {
            if (hasBody)
            {
                yield return $"{where}: sends a body, but the operation takes none";
            }

            yield break;
        }

        if (!hasBody)
        {
            if (operation.RequestBody.Required)
            {
                yield return $"{where}: the body is required but none was sent";
            }

            yield break;
        }

        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{where}: body content type is '{request.ContentType}', expected application/json";
            yield break;
        }

        var schema = operation.RequestBody.Content.Values.First().Schema;
        var evaluation = BodySchema(schema).Evaluate(JsonDocument.Parse(request.Body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!evaluation.IsValid)
        {
            var details = (evaluation.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
            yield return $"{where}: body does not match the spec: {string.Join("; ", details)} -- body {request.BodyText}";
        }
    }

    private JsonSchema BodySchema(OpenApiSchema schema)
    {
        JsonObject root;
        if (schema.Reference is { } reference)
        {
            root = new JsonObject { ["$ref"] = "#/$defs/" + reference.Id };
        }
        else
        {
            using var text = new StringWriter(CultureInfo.InvariantCulture);
            schema.SerializeAsV2(new OpenApiJsonWriter(text));
            root = JsonNode.Parse(text.ToString())!.AsObject();
            Close(root);
        }

        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$defs"] = _definitions.DeepClone();
        var json = root.ToJsonString().Replace("#/definitions/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(json, baseUri: new Uri($"https://contract.harborbridge.test/{Guid.NewGuid():N}"));
    }

    /// <summary>Declared properties only: an object schema with properties and no additionalProperties is closed.</summary>
    private static void Close(JsonNode? node)
    {
        if (node is JsonObject schema)
        {
            if (schema["properties"] is JsonObject && !schema.ContainsKey("additionalProperties") && !schema.ContainsKey("allOf"))
            {
                schema["additionalProperties"] = false;
            }

            foreach (var (_, child) in schema.ToList())
            {
                Close(child);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                Close(item);
            }
        }
    }

    private (string Template, OpenApiPathItem Item, List<(string Name, string Value)> Values)? FindTemplate(string[] segments)
    {
        (string, OpenApiPathItem, List<(string, string)>)? best = null;
        var bestLiterals = -1;
        foreach (var (template, item) in _document.Paths)
        {
            var parts = template.Trim('/').Split('/');
            if (parts.Length != segments.Length)
            {
                continue;
            }

            var values = new List<(string, string)>();
            var literals = 0;
            var ok = true;
            for (var i = 0; i < parts.Length && ok; i++)
            {
                if (parts[i].StartsWith('{') && parts[i].EndsWith('}'))
                {
                    values.Add((parts[i][1..^1], segments[i]));
                }
                else if (parts[i] == segments[i])
                {
                    literals++;
                }
                else
                {
                    ok = false;
                }
            }

            if (ok && literals > bestLiterals)
            {
                best = (template, item, values);
                bestLiterals = literals;
            }
        }

        return best;
    }

    private static IEnumerable<string> CheckValue(string where, OpenApiParameter parameter, string value)
    {
        var schema = parameter.Schema;
        var type = schema?.Type;
        var ok = type switch
        {
            "boolean" => value is "true" or "false",
            "integer" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            _ => true,
        };
        if (!ok)
        {
            yield return $"{where}: {parameter.In} parameter '{parameter.Name}' = '{value}' is not a {type}";
        }

        if (schema?.Enum is { Count: > 0 } allowed && !allowed.OfType<OpenApiString>().Any(e => e.Value == value))
        {
            yield return $"{where}: {parameter.In} parameter '{parameter.Name}' = '{value}' is not one of the declared values";
        }

        if (schema?.Maximum is { } max && decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var number) && number > max)
        {
            yield return $"{where}: {parameter.In} parameter '{parameter.Name}' = {value} is above the maximum {max}";
        }
    }

    private static List<(string Name, string Value)> ParseQuery(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(kv => (Uri.UnescapeDataString(kv[0]), kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : ""))
            .ToList();

    private static OperationType ToOperationType(HttpMethod method) => method.Method switch
    {
        "GET" => OperationType.Get,
        "POST" => OperationType.Post,
        "PUT" => OperationType.Put,
        "DELETE" => OperationType.Delete,
        "PATCH" => OperationType.Patch,
        "HEAD" => OperationType.Head,
        _ => OperationType.Options,
    };
}
