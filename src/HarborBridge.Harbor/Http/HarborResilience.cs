using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace HarborBridge.Harbor.Http;

/// <summary>Resilience rules for Harbor and its registry: retry only idempotent methods, only for 429/502/503/504,
/// network errors and attempt timeouts; exponential jittered backoff unless <c>Retry-After</c> says otherwise;
/// no retry when Harbor asks to wait longer than <see cref="HarborOptions.MaxRetryAfter"/>; bounded attempts, a
/// per-attempt and a total timeout, and a circuit breaker so an outage does not become a retry storm.</summary>
internal static class HarborResilience
{
    private static readonly HashSet<HttpMethod> IdempotentMethods = [HttpMethod.Get, HttpMethod.Head, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Options];

    public static void Configure(HttpStandardResilienceOptions resilience, HarborOptions options, TimeProvider time)
    {
        resilience.TotalRequestTimeout.Timeout = options.TotalTimeout;
        resilience.AttemptTimeout.Timeout = options.AttemptTimeout < options.TotalTimeout ? options.AttemptTimeout : options.TotalTimeout;
        resilience.Retry.MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 1);
        resilience.Retry.BackoffType = DelayBackoffType.Exponential;
        resilience.Retry.UseJitter = true;
        resilience.Retry.Delay = options.RetryBaseDelay;
        resilience.Retry.MaxDelay = options.MaxRetryAfter > options.RetryBaseDelay ? options.MaxRetryAfter : options.RetryBaseDelay;
        resilience.Retry.ShouldRetryAfterHeader = true;
        var retriesEnabled = options.MaxRetryAttempts > 0;
        resilience.Retry.ShouldHandle = args => ValueTask.FromResult(
            retriesEnabled && ShouldRetry(args.Context.GetRequestMessage(), args.Outcome, options.MaxRetryAfter, time));
        resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, resilience.AttemptTimeout.Timeout.Ticks * 2));
        resilience.CircuitBreaker.MinimumThroughput = 20;
        resilience.CircuitBreaker.FailureRatio = 0.5;
        resilience.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(15);
    }

    public static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome, TimeSpan maxRetryAfter, TimeProvider time)
    {
        if (request is null)
        {
            return false;
        }

        // 429 means the request was refused before it was processed (RFC 6585), so even a POST (a scan request) is safe
        // to send again; other failures of a non-idempotent call are left to message retry. Opening a blob upload
        // session (or mounting a blob, which is content-addressed) is safe to repeat whatever happened: a session opened
        // but never used simply expires in the registry.
        if (!IdempotentMethods.Contains(request.Method) && !OpensUploadSession(request))
        {
            return outcome.Exception is null && outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } refused
                && (RetryAfter(refused, time) is not { } delay || delay <= maxRetryAfter);
        }

        if (outcome.Exception is not null)
        {
            return outcome.Exception is HttpRequestException or TimeoutRejectedException;
        }

        var response = outcome.Result;
        if (response is null || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
        {
            return false;
        }

        return RetryAfter(response, time) is not { } wait || wait <= maxRetryAfter;
    }

    private static bool OpensUploadSession(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post && request.RequestUri is { } uri
        && uri.AbsolutePath.Contains("/v2/", StringComparison.Ordinal) && uri.AbsolutePath.EndsWith("/blobs/uploads/", StringComparison.Ordinal)
        && !uri.Query.Contains("digest=", StringComparison.Ordinal);

    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        return header?.Date is { } date ? date - time.GetUtcNow() : null;
    }
}
