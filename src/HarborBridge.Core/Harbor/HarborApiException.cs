namespace HarborBridge.Core.Harbor;

/// <summary>One entry of Harbor's error body <c>{"errors":[{"code","message"}]}</c>.</summary>
public sealed record HarborError(string Code, string Message);

/// <summary>A Harbor API call failed. <see cref="StatusCode"/> is null when no HTTP answer arrived (network error,
/// timeout, open circuit). <see cref="RequestId"/> is the <c>X-Request-Id</c> to quote to Harbor's admins.</summary>
public sealed class HarborApiException : Exception
{
    public HarborApiException(string operation, int? statusCode, IReadOnlyList<HarborError> errors, string? requestId, Exception? inner = null)
        : base(Describe(operation, statusCode, errors, requestId, inner), inner)
    {
        Operation = operation;
        StatusCode = statusCode;
        Errors = errors;
        RequestId = requestId;
    }

    public string Operation { get; }

    public int? StatusCode { get; }

    public IReadOnlyList<HarborError> Errors { get; }

    public string? RequestId { get; }

    /// <summary>The first error code, e.g. <c>NOT_FOUND</c>, <c>CONFLICT</c>, <c>PROJECTPOLICYVIOLATION</c>.</summary>
    public string? Code => Errors.Count > 0 ? Errors[0].Code : null;

    /// <summary>Worth trying again later: no answer, 429, or a 502/503/504.</summary>
    public bool IsTransient => StatusCode is null or 429 or 502 or 503 or 504;

    private static string Describe(string operation, int? status, IReadOnlyList<HarborError> errors, string? requestId, Exception? inner)
    {
        var what = status is { } s ? $"HTTP {s}" : $"no response ({inner?.GetType().Name ?? "unknown error"})";
        var detail = errors.Count > 0 ? ": " + string.Join("; ", errors.Select(e => $"{e.Code} {e.Message}")) : "";
        var id = requestId is null ? "" : $" (X-Request-Id {requestId})";
        return $"Harbor {operation} failed with {what}{detail}{id}";
    }
}
