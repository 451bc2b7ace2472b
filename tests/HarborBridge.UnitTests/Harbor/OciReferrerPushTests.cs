using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Harbor.Oci;

namespace HarborBridge.UnitTests.Harbor;

public sealed class OciReferrerPushTests
{
    private static readonly OciRepository Repository = OciRepository.Parse("harbor.test/payments/api", plainHttp: false);
    private static readonly string Subject = "sha256:" + new string('c', 64);
    private static readonly byte[] Referrer = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/example"}""");
    private static readonly string ReferrerDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Referrer));

    [Fact]
    public async Task PushReferrer_RegistryWithoutSubjectSupport_WritesTheFallbackIndex()
    {
        var stub = new StubHttpHandler(request => request.Method == HttpMethod.Get
            ? StubHttpHandler.Status(HttpStatusCode.NotFound)
            : StubHttpHandler.Status(HttpStatusCode.Created));
        using var services = new HarborTestServices(stub);

        var result = await services.Registry.PushReferrerAsync(Repository, Referrer, OciMediaTypes.ImageManifest, Subject, "application/example", TestTimeout.Token());

        Assert.Equal(ReferrerDigest, result.Digest);
        var puts = stub.Requests.Where(r => r.Method == HttpMethod.Put).ToList();
        Assert.Equal(2, puts.Count);
        Assert.Equal($"/v2/payments/api/manifests/{ReferrerDigest}", puts[0].Uri.AbsolutePath);
        Assert.Equal($"/v2/payments/api/manifests/sha256-{new string('c', 64)}", puts[1].Uri.AbsolutePath);
        Assert.Equal(OciMediaTypes.ImageIndex, puts[1].ContentType);
        using var index = JsonDocument.Parse(puts[1].Body);
        var entry = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal(ReferrerDigest, entry.GetProperty("digest").GetString());
        Assert.Equal("application/example", entry.GetProperty("artifactType").GetString());
        Assert.Equal(Referrer.Length, entry.GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task PushReferrer_RegistryConfirmsSubject_LeavesNoFallbackIndex()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.Created, ("OCI-Subject", Subject)));
        using var services = new HarborTestServices(stub);

        var result = await services.Registry.PushReferrerAsync(Repository, Referrer, OciMediaTypes.ImageManifest, Subject, null, TestTimeout.Token());

        Assert.Equal(Subject, result.Subject);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task DeleteManifest_Missing_ReturnsFalse()
    {
        var stub = new StubHttpHandler(_ => StubHttpHandler.Status(HttpStatusCode.NotFound));
        using var services = new HarborTestServices(stub);

        Assert.False(await services.Registry.DeleteManifestAsync(Repository, Subject, TestTimeout.Token()));
        Assert.Equal(HttpMethod.Delete, Assert.Single(stub.Requests).Method);
    }
}
