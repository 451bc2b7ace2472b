using System.Net;
using System.Security.Cryptography;
using System.Text;
using HarborBridge.Harbor.Oci;

namespace HarborBridge.UnitTests.Harbor;

public sealed class OciRegistryClientTests
{
    private static readonly OciRepository Repository = OciRepository.Parse("harbor.test/payments/team/api", plainHttp: false);
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");

    private static readonly string ManifestDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Manifest));

    private static CancellationToken Ct => TestTimeout.Token();

    private static HttpResponseMessage ManifestResponse(byte[] body, string? digestHeader)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", OciMediaTypes.ImageManifest);
        if (digestHeader is not null)
        {
            response.Headers.TryAddWithoutValidation("Docker-Content-Digest", digestHeader);
        }

        return response;
    }

    [Fact]
    public async Task GetManifest_BearerChallenge_FetchesTokenWithRobotAndScopeThenReusesIt()
    {
        var stub = new StubHttpHandler(request =>
        {
            if (request.RequestUri!.AbsolutePath == "/service/token")
            {
                return StubHttpHandler.Json(HttpStatusCode.OK, """{"token":"tok-1","expires_in":1800}""");
            }

            return request.Headers.Authorization?.ToString() == "Bearer tok-1"
                ? ManifestResponse(Manifest, ManifestDigest)
                : StubHttpHandler.Json(HttpStatusCode.Unauthorized, """{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}""",
                    ("WWW-Authenticate", "Bearer realm=\"https://harbor.test/service/token\",service=\"harbor-registry\",scope=\"repository:payments/team/api:pull\""));
        });
        using var services = new HarborTestServices(stub);

        var first = await services.Registry.GetManifestAsync(Repository, "1.0", Ct);
        var second = await services.Registry.GetManifestAsync(Repository, "1.0", Ct);

        Assert.Equal(ManifestDigest, first!.Descriptor.Digest);
        Assert.Equal(ManifestDigest, second!.Descriptor.Digest);
        var requests = stub.Requests;
        var token = Assert.Single(requests, r => r.Uri.AbsolutePath == "/service/token");
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("robot$payments+harborbridge:s3cret-Robot")), token.Header("Authorization"));
        Assert.Contains("service=harbor-registry", token.Uri.Query);
        Assert.Contains("scope=" + Uri.EscapeDataString("repository:payments/team/api:pull"), token.Uri.Query);
        // Push asked for on a read too: with it (and the cosign agent) Harbor lets the signer past its pull checks.
        Assert.Contains("scope=" + Uri.EscapeDataString("repository:payments/team/api:pull,push"), token.Uri.Query);
        // 401, retry with token, then the second GET with the cached token straight away.
        Assert.Equal(3, requests.Count(r => r.Uri.AbsolutePath == "/v2/payments/team/api/manifests/1.0"));
        Assert.Contains(OciMediaTypes.ImageIndex, requests[0].Header("Accept"));
        Assert.Contains(OciMediaTypes.DockerManifest, requests[0].Header("Accept"));
        Assert.Contains("cosign", requests[0].Header("User-Agent"));
    }

    [Theory]
    [InlineData("https://evil.test/service/token", true, false)] // another host: asked anonymously, never the robot's password
    [InlineData("http://harbor.test/service/token", false, false)] // http realm for an https registry: not asked at all
    [InlineData("https://harbor.test:8443/service/token", true, true)] // Harbor's own host
    public async Task GetManifest_BearerChallengeNamingARealm_RobotCredentialsOnlyToTheRegistrysOwnHostOverHttps(
        string realm, bool tokenRequested, bool credentialsSent)
    {
        var stub = new StubHttpHandler(request => request.RequestUri!.AbsolutePath == "/service/token"
            ? StubHttpHandler.Json(HttpStatusCode.OK, """{"token":"tok-1","expires_in":1800}""")
            : StubHttpHandler.Json(HttpStatusCode.Unauthorized, """{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}""",
                ("WWW-Authenticate", $"Bearer realm=\"{realm}\",service=\"harbor-registry\"")));
        using var services = new HarborTestServices(stub);

        // The registry keeps answering 401; what matters here is where the credentials went.
        _ = await Record.ExceptionAsync(() => services.Registry.GetManifestAsync(Repository, "1.0", Ct));

        var tokenRequests = stub.Requests.Where(r => r.Uri.AbsolutePath == "/service/token").ToList();
        Assert.Equal(tokenRequested, tokenRequests.Count > 0);
        Assert.Equal(credentialsSent, tokenRequests.Any(r => r.Header("Authorization") is { Length: > 0 }));
        Assert.DoesNotContain(stub.Requests, r => r.Uri.Host != "harbor.test" && r.Header("Authorization") is { Length: > 0 });
    }

    [Fact]
    public async Task GetManifest_BasicChallenge_ResendsWithRobotCredentials()
    {
        var stub = new StubHttpHandler(request => request.Headers.Authorization is null
            ? StubHttpHandler.Status(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"registry\""))
            : ManifestResponse(Manifest, ManifestDigest));
        using var services = new HarborTestServices(stub);

        Assert.NotNull(await services.Registry.GetManifestAsync(Repository, ManifestDigest, Ct));
        Assert.StartsWith("Basic ", stub.Requests[^1].Header("Authorization"));
    }

    [Fact]
    public async Task GetManifest_ByDigest_ContentThatDoesNotMatch_Throws()
    {
        var other = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"tampered":true}""");
        var stub = new StubHttpHandler(_ => ManifestResponse(other, ManifestDigest));
        using var services = new HarborTestServices(stub);

        await Assert.ThrowsAsync<OciDigestMismatchException>(() => services.Registry.GetManifestAsync(Repository, ManifestDigest, Ct));
    }

    [Fact]
    public async Task GetManifest_ByTag_HeaderDigestThatDoesNotMatch_Throws()
    {
        var stub = new StubHttpHandler(_ => ManifestResponse(Manifest, "sha256:" + new string('0', 64)));
        using var services = new HarborTestServices(stub);

        await Assert.ThrowsAsync<OciDigestMismatchException>(() => services.Registry.GetManifestAsync(Repository, "1.0", Ct));
    }

    [Fact]
    public async Task GetBlob_ContentThatDoesNotMatch_Throws()
    {
        var stub = new StubHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([1, 2, 3]) });
        using var services = new HarborTestServices(stub);

        await Assert.ThrowsAsync<OciDigestMismatchException>(() => services.Registry.GetBlobAsync(Repository, ManifestDigest, Ct));
    }

    [Fact]
    public async Task PushBlob_AlreadyThere_UploadsNothing()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.OK));
        using var services = new HarborTestServices(stub);

        var (digest, uploaded) = await services.Registry.PushBlobAsync(Repository, [1, 2, 3], null, Ct);

        Assert.False(uploaded);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 })), digest);
        var head = Assert.Single(stub.Requests);
        Assert.Equal(HttpMethod.Head, head.Method);
        Assert.Equal($"/v2/payments/team/api/blobs/{digest}", head.Uri.AbsolutePath);
    }

    [Fact]
    public async Task PushBlob_UploadStartAnswered503_OpensTheSessionAgainAndUploads()
    {
        // An upload session opened but never used expires in the registry, so a POST that opens one is safe to repeat,
        // unlike Harbor API POSTs (HarborResilienceTests.Post_ServiceUnavailable_IsNotRetried).
        var content = Encoding.UTF8.GetBytes("layer bytes");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        var posts = 0;
        var stub = new StubHttpHandler(request => request.Method.Method switch
        {
            "HEAD" => StubHttpHandler.Status(HttpStatusCode.NotFound),
            "POST" when Interlocked.Increment(ref posts) == 1 => StubHttpHandler.Status(HttpStatusCode.ServiceUnavailable),
            "POST" => StubHttpHandler.Status(HttpStatusCode.Accepted, ("Location", "/v2/payments/team/api/blobs/uploads/u-2")),
            _ => StubHttpHandler.Status(HttpStatusCode.Created, ("Docker-Content-Digest", digest)),
        });
        using var services = new HarborTestServices(stub);

        var (_, uploaded) = await services.Registry.PushBlobAsync(Repository, content, null, Ct);

        Assert.True(uploaded);
        Assert.Equal(2, stub.Requests.Count(r => r.Method == HttpMethod.Post));
        Assert.Equal("/v2/payments/team/api/blobs/uploads/u-2", Assert.Single(stub.Requests, r => r.Method == HttpMethod.Put).Uri.AbsolutePath);
    }

    [Fact]
    public async Task PushBlob_Missing_PostsThenPutsBytesWithDigestToTheUploadLocation()
    {
        var content = Encoding.UTF8.GetBytes("layer bytes");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        var stub = new StubHttpHandler(request => request.Method.Method switch
        {
            "HEAD" => StubHttpHandler.Status(HttpStatusCode.NotFound),
            "POST" => StubHttpHandler.Status(HttpStatusCode.Accepted, ("Location", "/v2/payments/team/api/blobs/uploads/u-1?_state=abc")),
            _ => StubHttpHandler.Status(HttpStatusCode.Created, ("Docker-Content-Digest", digest)),
        });
        using var services = new HarborTestServices(stub);

        var (_, uploaded) = await services.Registry.PushBlobAsync(Repository, content, null, Ct);

        Assert.True(uploaded);
        var put = Assert.Single(stub.Requests, r => r.Method == HttpMethod.Put);
        Assert.Equal("/v2/payments/team/api/blobs/uploads/u-1", put.Uri.AbsolutePath);
        Assert.Equal($"?_state=abc&digest={Uri.EscapeDataString(digest)}", put.Uri.Query);
        Assert.Equal("application/octet-stream", put.ContentType);
        Assert.Equal(content, put.Body);
        Assert.Equal("/v2/payments/team/api/blobs/uploads/", Assert.Single(stub.Requests, r => r.Method == HttpMethod.Post).Uri.AbsolutePath);
    }

    [Fact]
    public async Task PushBlob_WithMountSource_MountsInsteadOfUploading()
    {
        var stub = new StubHttpHandler(request => request.Method == HttpMethod.Head
            ? StubHttpHandler.Status(HttpStatusCode.NotFound)
            : StubHttpHandler.Status(HttpStatusCode.Created));
        using var services = new HarborTestServices(stub);

        var (digest, uploaded) = await services.Registry.PushBlobAsync(Repository, [7], "payments/base", Ct);

        Assert.False(uploaded);
        var post = Assert.Single(stub.Requests, r => r.Method == HttpMethod.Post);
        Assert.Equal($"?mount={Uri.EscapeDataString(digest)}&from=payments%2Fbase", post.Uri.Query);
        Assert.DoesNotContain(stub.Requests, r => r.Method == HttpMethod.Put);
    }

    [Fact]
    public async Task PutManifest_SendsMediaTypeAndReturnsItsDigest()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.Created, ("Docker-Content-Digest", ManifestDigest)));
        using var services = new HarborTestServices(stub);

        var result = await services.Registry.PutManifestAsync(Repository, "1.0", Manifest, OciMediaTypes.ImageManifest, ManifestDigest, Ct);

        Assert.Equal(ManifestDigest, result.Digest);
        var put = Assert.Single(stub.Requests);
        Assert.Equal(OciMediaTypes.ImageManifest, put.ContentType);
        Assert.Equal($"\"{ManifestDigest}\"", put.Header("If-Match"));
        Assert.Equal(Manifest, put.Body);
    }

    [Fact]
    public async Task ListReferrers_RegistryWithoutApi_ReadsTheFallbackTag()
    {
        var referrer = new OciDescriptor(OciMediaTypes.ImageManifest, "sha256:" + new string('a', 64), 321, "application/vnd.dev.cosign.artifact.sig.v1+json");
        var other = new OciDescriptor(OciMediaTypes.ImageManifest, "sha256:" + new string('b', 64), 123, "application/spdx+json");
        var index = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = OciMediaTypes.ImageIndex,
            manifests = new[] { referrer, other },
        }));
        var indexDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(index));
        var stub = new StubHttpHandler(request => request.RequestUri!.AbsolutePath.Contains("/referrers/", StringComparison.Ordinal)
            ? StubHttpHandler.Status(HttpStatusCode.NotFound)
            : ManifestResponse(index, indexDigest));
        using var services = new HarborTestServices(stub);

        var result = await services.Registry.ListReferrersAsync(Repository, ManifestDigest, "application/vnd.dev.cosign.artifact.sig.v1+json", Ct);

        Assert.True(result.FromFallbackTag);
        Assert.Equal(referrer.Digest, Assert.Single(result.Manifests).Digest);
        Assert.Equal("/v2/payments/team/api/manifests/" + ManifestDigest.Replace(':', '-'), stub.Requests[^1].Uri.AbsolutePath);
    }

    [Fact]
    public async Task ListReferrers_NoFallbackTagEither_IsEmpty()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.NotFound));
        using var services = new HarborTestServices(stub);

        var result = await services.Registry.ListReferrersAsync(Repository, ManifestDigest, null, Ct);

        Assert.Empty(result.Manifests);
        Assert.True(result.FromFallbackTag);
    }

    [Fact]
    public async Task ListTags_FollowsLinkPages()
    {
        var stub = new StubHttpHandler(request => request.RequestUri!.Query.Contains("last=b", StringComparison.Ordinal)
            ? StubHttpHandler.Json(HttpStatusCode.OK, """{"name":"payments/team/api","tags":["c"]}""")
            : StubHttpHandler.Json(HttpStatusCode.OK, """{"name":"payments/team/api","tags":["a","b"]}""",
                ("Link", "</v2/payments/team/api/tags/list?last=b&n=100>; rel=\"next\"")));
        using var services = new HarborTestServices(stub);

        Assert.Equal(["a", "b", "c"], await services.Registry.ListTagsAsync(Repository, Ct));
    }

    [Fact]
    public async Task GetManifest_PolicyBlock_ThrowsWithHarborCode()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.PreconditionFailed,
            """{"errors":[{"code":"PROJECTPOLICYVIOLATION","message":"The image is not signed by cosign."}]}"""));
        using var services = new HarborTestServices(stub);

        var error = await Assert.ThrowsAsync<OciRegistryException>(() => services.Registry.GetManifestAsync(Repository, "1.0", Ct));

        Assert.Equal(412, error.StatusCode);
        Assert.Equal("PROJECTPOLICYVIOLATION", error.Code);
    }

    [Fact]
    public async Task BlobExists_RegistryUnreachable_ThrowsRegistryErrorWithoutStatusAfterRetries()
    {
        var stub = new StubHttpHandler(_ => throw new HttpRequestException("connection refused"));
        using var services = new HarborTestServices(stub, new Dictionary<string, string?> { ["HarborBridge:Harbor:MaxRetryAttempts"] = "2" });

        var error = await Assert.ThrowsAsync<OciRegistryException>(() => services.Registry.BlobExistsAsync(Repository, ManifestDigest, Ct));

        Assert.Null(error.StatusCode);
        Assert.Equal(3, stub.Requests.Count);
    }

    [Theory]
    [InlineData("harbor.test")]
    [InlineData("harbor.test/Upper/Case")]
    [InlineData("/payments/api")]
    public void Parse_BadRepository_IsAClearError(string value) =>
        Assert.Throws<ArgumentException>(() => OciRepository.Parse(value, plainHttp: false));
}
