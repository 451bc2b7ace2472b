using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace HarborBridge.HarborSimulator;

internal static class SimHttp
{
    public static IResult Error(int status, string code, string message) =>
        Results.Text(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message }) }.ToJsonString(),
            "application/json; charset=utf-8", Encoding.UTF8, status);

    public static IResult Json(JsonNode node, int status = 200) =>
        Results.Text(node.ToJsonString(), "application/json", Encoding.UTF8, status);

    public static IResult Created(HttpContext http, string location)
    {
        http.Response.Headers.Location = location;
        return Results.StatusCode(201);
    }

    /// <summary>The request target exactly as the client sent it (before any unescaping).</summary>
    public static string RawTarget(HttpContext http) =>
        http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (http.Request.PathBase + http.Request.Path + http.Request.QueryString).ToString();

    public static async Task<JsonNode?> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new BadRequestException("invalid JSON body");
        }
    }

    /// <summary>The Basic-auth user, if the credentials match a configured user.</summary>
    public static string? BasicUser(HttpRequest request, HarborSimulatorOptions options)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return null;
            }

            var user = decoded[..colon];
            return options.Users.TryGetValue(user, out var password) && password == decoded[(colon + 1)..] ? user : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

internal sealed class BadRequestException(string message) : Exception(message);
