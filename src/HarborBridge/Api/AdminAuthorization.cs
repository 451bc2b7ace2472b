using System.Security.Cryptography;
using System.Text;
using HarborBridge.Hosting;
using Microsoft.Extensions.Options;

namespace HarborBridge.Api;

/// <summary>Endpoint filter for the admin API: <c>Authorization: Bearer &lt;HarborBridge:Admin:Token&gt;</c>,
/// compared in fixed time. Without a configured token every call is refused.</summary>
internal sealed class AdminAuthorization(IOptions<AdminOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var token = options.Value.Token;
        if (string.IsNullOrEmpty(token))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Admin API disabled",
                detail: "Set HarborBridge:Admin:Token to enable the admin API.");
        }

        return IsValid(token, context.HttpContext.Request)
            ? await next(context)
            : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "Send Authorization: Bearer <HarborBridge:Admin:Token>.");
    }

    /// <summary>Whether the request carries <c>Authorization: Bearer &lt;token&gt;</c>, compared in fixed time.</summary>
    public static bool IsValid(string token, HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(token)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }
}
