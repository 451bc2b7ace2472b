using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace HarborBridge.Harbor.Oci;

/// <summary>Docker/OCI registry authentication. On a 401 it reads <c>WWW-Authenticate</c>: for <c>Bearer</c> it
/// fetches a token from the realm (Harbor: <c>/service/token</c>) with the robot's Basic credentials and the
/// challenge's service and scope, caches it until shortly before it expires, and resends; for <c>Basic</c> it resends
/// with the credentials. Later requests for the same repository and access reuse the cached token up front.</summary>
internal sealed partial class RegistryAuthHandler(
    IRegistryCredentialProvider credentials,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<RegistryAuthHandler> logger) : DelegatingHandler
{
    public const string TokenHttpClientName = "oci-registry-token";

    /// <summary>Request option naming another repository the request also needs pull access to (blob mounts).</summary>
    public static readonly HttpRequestOptionsKey<string> MountFromOption = new("HarborBridge.Oci.MountFrom");

    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _basicAuthorities = new(StringComparer.OrdinalIgnoreCase);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var authority = request.RequestUri!.Authority;
        var scope = ScopeOf(request);
        var cacheKey = $"{authority} {scope}";
        if (_tokens.TryGetValue(cacheKey, out var cached) && cached.ExpiresAt > time.GetUtcNow())
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cached.Token);
        }
        else if (_basicAuthorities.ContainsKey(authority) && credentials.Find(authority) is { } basic)
        {
            request.Headers.Authorization = BasicHeader(basic);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
        if (challenge is null)
        {
            return response;
        }

        AuthenticationHeaderValue? authorization = null;
        if (challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            var token = await FetchTokenAsync(request.RequestUri!, challenge.Parameter ?? "", scope, cancellationToken);
            if (token is not null)
            {
                _tokens[cacheKey] = token;
                authorization = new AuthenticationHeaderValue("Bearer", token.Token);
            }
        }
        else if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && credentials.Find(authority) is { } credential)
        {
            _basicAuthorities[authority] = true;
            authorization = BasicHeader(credential);
        }

        if (authorization is null || request.Headers.Authorization?.ToString() == authorization.ToString())
        {
            return response;
        }

        response.Dispose();
        request.Headers.Authorization = authorization;
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Whether the registry's token realm may receive the registry's credentials: only over https (or http
    /// when the registry itself is plain http), and only on the registry's own host. A realm elsewhere still gets
    /// an anonymous token request (public registries such as Docker Hub put their realm on another host).</summary>
    internal static (bool Allowed, bool SendCredentials) RealmPolicy(Uri registry, Uri realm)
    {
        if (realm.Scheme is not ("https" or "http") || (realm.Scheme == "http" && registry.Scheme == "https"))
        {
            return (false, false);
        }

        return (true, realm.Host.Equals(registry.Host, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<CachedToken?> FetchTokenAsync(Uri registry, string challenge, string scope, CancellationToken cancellationToken)
    {
        var authority = registry.Authority;
        var parameters = ParseChallenge(challenge);
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
        {
            logger.LogWarning("Registry {Registry} sent a Bearer challenge without a usable realm", authority);
            return null;
        }

        var (allowed, sendCredentials) = RealmPolicy(registry, realmUri);
        if (!allowed)
        {
            logger.LogWarning("Registry {Registry} named the token realm {Realm}, which is not https while the registry is; no token was requested",
                authority, realmUri.GetLeftPart(UriPartial.Path));
            return null;
        }

        if (!sendCredentials && credentials.Find(authority) is not null)
        {
            logger.LogWarning("Registry {Registry} named a token realm on another host ({RealmHost}); the registry's credentials are not sent there",
                authority, realmUri.Host);
        }

        var query = new List<string>();
        if (parameters.TryGetValue("service", out var service))
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }

        // The challenge names what this request needs; our own scope may add a mount source.
        var scopes = new SortedSet<string>(StringComparer.Ordinal);
        if (parameters.TryGetValue("scope", out var challengeScope))
        {
            scopes.UnionWith(challengeScope.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        scopes.UnionWith(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        var builder = new UriBuilder(realmUri) { Query = string.Join('&', query) };

        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (sendCredentials && credentials.Find(authority) is { } credential)
        {
            tokenRequest.Headers.Authorization = BasicHeader(credential);
        }

        var client = httpClients.CreateClient(TokenHttpClientName);
        using var response = await client.SendAsync(tokenRequest, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("Token request to {Realm} for {Registry} failed with {Status}", realmUri.GetLeftPart(UriPartial.Path), authority, (int)response.StatusCode);
            return null;
        }

        TokenResponse? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken);
        }
        catch (JsonException)
        {
            body = null;
        }

        var token = body?.Token ?? body?.AccessToken;
        if (string.IsNullOrEmpty(token))
        {
            logger.LogWarning("Token endpoint {Realm} returned no token", realmUri.GetLeftPart(UriPartial.Path));
            return null;
        }

        var lifetime = TimeSpan.FromSeconds(body!.ExpiresIn is > 0 ? body.ExpiresIn.Value : 60);
        return new CachedToken(token, time.GetUtcNow() + lifetime - ExpiryMargin);
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    /// <summary>The token scope asked for: <c>repository:&lt;name&gt;:pull,push</c>, for reads too. Harbor lets a token that
    /// may push, sent with a User-Agent containing "cosign", read manifests its pull checks would refuse (the image to
    /// sign, our own <c>.att</c> and fallback-index manifests in a project that enforces signatures or prevents
    /// vulnerable pulls: Harbor's <c>SkipPolicyChecking</c>, docs/harbor.md). A token server grants only what the
    /// account may do, so a read-only account still gets its pull token.</summary>
    internal static string ScopeOf(HttpRequestMessage request)
    {
        var match = RepositoryPath().Match(request.RequestUri!.AbsolutePath);
        if (!match.Success)
        {
            return "";
        }

        var scope = $"repository:{match.Groups["name"].Value}:pull,push";
        if (request.Options.TryGetValue(MountFromOption, out var from))
        {
            scope += $" repository:{from}:pull";
        }

        return scope;
    }

    internal static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in ChallengeParameter().Matches(parameter))
        {
            result[m.Groups["key"].Value] = m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["plain"].Value;
        }

        return result;
    }

    [GeneratedRegex("^/v2/(?<name>.+?)/(?:manifests|blobs|tags|referrers)/")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex("(?<key>[A-Za-z_]+)=(?:\"(?<quoted>[^\"]*)\"|(?<plain>[^,\\s]*))")]
    private static partial Regex ChallengeParameter();

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresAt);

    private sealed record TokenResponse(
        [property: JsonPropertyName("token")] string? Token,
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int? ExpiresIn);
}
