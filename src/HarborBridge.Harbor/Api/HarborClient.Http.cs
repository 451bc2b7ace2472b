using System.Globalization;
using System.Text.Json;
using HarborBridge.Core.Harbor;
using Microsoft.Extensions.Logging;
using RestSharp;

namespace HarborBridge.Harbor.Api;

/// <summary>Requests and responses: paging, sending through the resilience pipeline, Harbor's error bodies, and reading
/// a response as a DTO, a page or the id in a Location header.</summary>
internal sealed partial class HarborClient
{
    // Harbor reads a numeric {project_name_or_id} as an id unless told it is a name.
    private static RestRequest ByName(RestRequest request) => request.AddHeader(ResourceNameHeader, "true");

    private static RestRequest Paged(RestRequest request, int page, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 100);
        return request.AddQueryParameter("page", page.ToString(CultureInfo.InvariantCulture))
            .AddQueryParameter("page_size", pageSize.ToString(CultureInfo.InvariantCulture));
    }

    private async Task<RestResponse> SendAsync(RestRequest request, string operation, CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid().ToString();
        request.AddHeader("X-Request-Id", requestId);
        var response = await _rest.ExecuteAsync(request, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (response.StatusCode == 0)
        {
            _logger.LogWarning("Harbor {Operation} got no response: {Error}", operation, response.ErrorException?.GetType().Name);
            throw new HarborApiException(operation, null, [], requestId, response.ErrorException);
        }

        return response;
    }

    private RestResponse EnsureSuccess(RestResponse response, string operation)
    {
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var errors = ReadErrors(response.RawBytes);
        var exception = new HarborApiException(operation, (int)response.StatusCode, errors, RequestId(response));
        _logger.LogWarning("Harbor {Operation} failed: {Status} {Code} (X-Request-Id {RequestId})",
            operation, (int)response.StatusCode, exception.Code, exception.RequestId);
        throw exception;
    }

    internal static IReadOnlyList<HarborError> ReadErrors(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return [];
        }

        try
        {
            var dto = JsonSerializer.Deserialize<ErrorsDto>(body, Json);
            return dto?.Errors?.Select(e => new HarborError(e.Code ?? "", e.Message ?? "")).ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? RequestId(RestResponse response) =>
        response.Headers?.FirstOrDefault(h => string.Equals(h.Name, "X-Request-Id", StringComparison.OrdinalIgnoreCase))?.Value
        ?? response.Request.Parameters.TryFind("X-Request-Id")?.Value?.ToString();

    private static string? Header(RestResponse response, string name) =>
        response.Headers?.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))?.Value
        ?? response.ContentHeaders?.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

    private static T Read<T>(RestResponse response, string operation)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(response.RawBytes ?? [], Json) ?? throw Unreadable(response, operation, "the body is null");
        }
        catch (JsonException e)
        {
            throw Unreadable(response, operation, e.Message);
        }
    }

    private static JsonDocument Parse(RestResponse response, string operation)
    {
        try
        {
            return JsonDocument.Parse(response.RawBytes ?? []);
        }
        catch (JsonException e)
        {
            throw Unreadable(response, operation, e.Message);
        }
    }

    private static HarborApiException Unreadable(RestResponse response, string operation, string why) =>
        new(operation, (int)response.StatusCode, [new HarborError("UNREADABLE_RESPONSE", $"Harbor's answer could not be read: {why}")], RequestId(response));

    internal static HarborPage<T> ToPage<T>(RestResponse response, IReadOnlyList<T> items)
    {
        long? total = long.TryParse(Header(response, "X-Total-Count"), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
        return new HarborPage<T>(items, total, LinkHasNext(Header(response, "Link")));
    }

    /// <summary>True when the <c>Link</c> header has a <c>rel="next"</c> entry. Its URL is not followed: Harbor
    /// writes the query unescaped, so callers ask for the next page number instead.</summary>
    internal static bool LinkHasNext(string? link) =>
        link is not null && link.Split(',').Any(part => part.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase));

    private static long IdFromLocation(RestResponse response, string operation)
    {
        var location = Header(response, "Location");
        var last = location?.TrimEnd('/').Split('/').LastOrDefault();
        return long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw Unreadable(response, operation, "no id in the Location header");
    }
}
