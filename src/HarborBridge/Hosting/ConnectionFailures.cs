using System.Net.Sockets;
using System.Security.Authentication;
using HarborBridge.Core.Harbor;
using HarborBridge.Harbor.Oci;

namespace HarborBridge.Hosting;

/// <summary>Why a call to Harbor or a registry got no usable answer, in words an admin can act on (connection refused,
/// TLS, DNS, a status such as 401), never with the request's credentials.</summary>
internal static class ConnectionFailures
{
    public static string Cause(Exception error)
    {
        if (Find<HarborApiException>(error) is { StatusCode: { } harborStatus })
        {
            return Status(harborStatus);
        }

        if (Find<OciRegistryException>(error) is { StatusCode: { } registryStatus })
        {
            return Status(registryStatus);
        }

        if (Find<HttpRequestException>(error) is { } http)
        {
            return http.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => "the host name does not resolve",
                HttpRequestError.SecureConnectionError => $"the TLS handshake failed ({(Find<AuthenticationException>(http)?.Message ?? http.InnerException?.Message ?? http.Message).TrimEnd('.')})",
                HttpRequestError.ConnectionError when Find<SocketException>(http) is { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
                HttpRequestError.ConnectionError when Find<SocketException>(http) is { } socket => $"cannot connect ({socket.SocketErrorCode})",
                _ => http.Message,
            };
        }

        return error is OperationCanceledException or TimeoutException || Find<TimeoutException>(error) is not null
            ? "no answer in time (timeout)"
            : error.Message;
    }

    /// <summary>True when TLS was tried and failed: typical of a plain-HTTP registry addressed as https.</summary>
    public static bool IsTlsFailure(Exception error) =>
        Find<HttpRequestException>(error) is { HttpRequestError: HttpRequestError.SecureConnectionError };

    private static string Status(int status) => status switch
    {
        401 => "401 Unauthorized (the username or password is wrong or missing)",
        403 => "403 Forbidden (the account lacks permission)",
        _ => $"HTTP {status}",
    };

    private static T? Find<T>(Exception? error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }

            if (e is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(f => f is not null);
            }
        }

        return null;
    }
}
