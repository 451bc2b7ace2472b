using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Keyless;
using HarborBridge.UnitTests.Harbor;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.UnitTests.Signing;

/// <summary>Fulcio and Rekor clients against a stub network: what goes on the wire (proof of possession, hashedrekord
/// entry) and how answers and refusals are read.</summary>
public sealed class KeylessClientsTests
{
    private const string Issuer = "https://oidc.harborbridge.test";
    private const string Subject = "system:serviceaccount:harbor:harborbridge";
    private const string Email = "signer@harborbridge.test";

    [Fact]
    public void Parse_VerifiedEmail_ProofSubjectIsEmail()
    {
        var token = OidcIdentityToken.Parse(Jwt($$"""{"iss":"{{Issuer}}","sub":"{{Subject}}","email":"{{Email}}","email_verified":true}"""));

        Assert.Equal(Email, token.ProofSubject);
        Assert.Equal(Issuer, token.Issuer);
    }

    [Fact]
    public void Parse_UnverifiedEmail_ProofSubjectIsSub()
    {
        var token = OidcIdentityToken.Parse(Jwt($$"""{"iss":"{{Issuer}}","sub":"{{Subject}}","email":"{{Email}}","email_verified":false}"""));

        Assert.Equal(Subject, token.ProofSubject);
    }

    [Theory]
    [InlineData("not-a-jwt", "is not a JWT")]
    [InlineData("a.%%%.c", "not base64url JSON")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2kifQ.x", "no 'iss' or no 'sub'")]
    public void Parse_BadToken_ClearError(string text, string expected)
    {
        var error = Assert.Throws<KeylessException>(() => OidcIdentityToken.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestCertificate_Fulcio200_SendsTokenKeyAndProofOverEmail()
    {
        using var ca = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test-ca", ca, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var caCert = caRequest.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        string? leafPem = null;
        var stub = new StubHttpHandler(request =>
        {
            var body = JsonNode.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult())!;
            using var requested = ECDsa.Create();
            requested.ImportFromPem((string)body["publicKeyRequest"]!["publicKey"]!["content"]!);
            using var leaf = new CertificateRequest("CN=leaf", requested, HashAlgorithmName.SHA256)
                .Create(caCert, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(50), [1, 2, 3]);
            leafPem = leaf.ExportCertificatePem();
            var chain = new JsonObject { ["certificates"] = new JsonArray(leafPem, caCert.ExportCertificatePem()) };
            return StubHttpHandler.Json(HttpStatusCode.OK, new JsonObject { ["signedCertificateEmbeddedSct"] = new JsonObject { ["chain"] = chain } }.ToJsonString());
        });
        using var services = Services(stub);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var raw = Jwt($$"""{"iss":"{{Issuer}}","sub":"{{Subject}}","email":"{{Email}}","email_verified":true}""");

        var certificate = await services.GetRequiredService<FulcioClient>()
            .RequestCertificateAsync("https://fulcio.test/", OidcIdentityToken.Parse(raw), key, CancellationToken.None);

        Assert.Equal(leafPem, certificate.LeafPem);
        Assert.Equal(caCert.ExportCertificatePem(), Assert.Single(certificate.ChainPem));
        var sent = Assert.Single(stub.Requests);
        Assert.Equal("https://fulcio.test/api/v2/signingCert", sent.Uri.ToString());
        var json = JsonNode.Parse(sent.BodyText)!;
        Assert.Equal(raw, (string?)json["credentials"]!["oidcIdentityToken"]);
        Assert.Equal("ECDSA", (string?)json["publicKeyRequest"]!["publicKey"]!["algorithm"]);
        var proof = Convert.FromBase64String((string)json["publicKeyRequest"]!["proofOfPossession"]!);
        Assert.True(key.VerifyData(Encoding.UTF8.GetBytes(Email), proof, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task RequestCertificate_CertificateForAnotherKey_Rejected()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherCert = new CertificateRequest("CN=other", other, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        var answer = new JsonObject
        {
            ["signedCertificateEmbeddedSct"] = new JsonObject
            {
                ["chain"] = new JsonObject { ["certificates"] = new JsonArray(otherCert.ExportCertificatePem()) },
            },
        }.ToJsonString();
        using var services = Services(new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Created, answer)));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = await Assert.ThrowsAsync<KeylessException>(() => services.GetRequiredService<FulcioClient>()
            .RequestCertificateAsync("https://fulcio.test", Token(), key, CancellationToken.None));

        Assert.Contains("another public key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestCertificate_Refused_StatusAndReasonWithoutTokenOrUrlSecret()
    {
        using var services = Services(new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Unauthorized, """{"code":16,"message":"invalid identity token"}""")));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = Token();

        var error = await Assert.ThrowsAsync<KeylessException>(() => services.GetRequiredService<FulcioClient>()
            .RequestCertificateAsync("https://user:pa55word@fulcio.test/?apikey=k3y", token, key, CancellationToken.None));

        Assert.StartsWith("Fulcio at https://fulcio.test/api/v2/signingCert refused the certificate request (HTTP 401)", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid identity token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k3y", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Raw, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogHashedRekord_Rekor201_SendsEntryAndReadsProof()
    {
        const string answer = """
            {"24296fb24b8ad77a":{"body":"Ym9keQ==","integratedTime":1700000000,"logID":"C0FFEE","logIndex":42,
             "verification":{"signedEntryTimestamp":"c2V0","inclusionProof":{"logIndex":7,"treeSize":8,"rootHash":"ab01",
             "hashes":["cd02","ef03"],"checkpoint":"note\n"}}}}
            """;
        var stub = new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Created, answer));
        using var services = Services(stub);
        var payload = "signed bytes"u8.ToArray();
        var digest = SHA256.HashData(payload);
        const string pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

        var entry = await services.GetRequiredService<RekorClient>()
            .LogHashedRekordAsync("http://rekor.test", digest, [1, 2, 3], pem, CancellationToken.None);

        Assert.Equal(new RekorEntry("24296fb24b8ad77a", "Ym9keQ==", 1700000000, "c0ffee", 42, "c2V0", entry.InclusionProof), entry);
        Assert.Equal((7L, 8L, "ab01", "note\n"), (entry.InclusionProof!.LogIndex, entry.InclusionProof.TreeSize, entry.InclusionProof.RootHashHex, entry.InclusionProof.Checkpoint));
        Assert.Equal(["cd02", "ef03"], entry.InclusionProof.HashesHex);
        var sent = JsonNode.Parse(Assert.Single(stub.Requests).BodyText)!;
        Assert.Equal("http://rekor.test/api/v1/log/entries", stub.Requests[0].Uri.ToString());
        Assert.Equal("hashedrekord", (string?)sent["kind"]);
        Assert.Equal("0.0.1", (string?)sent["apiVersion"]);
        Assert.Equal("sha256", (string?)sent["spec"]!["data"]!["hash"]!["algorithm"]);
        Assert.Equal(Convert.ToHexString(digest).ToLowerInvariant(), (string?)sent["spec"]!["data"]!["hash"]!["value"]);
        Assert.Equal("AQID", (string?)sent["spec"]!["signature"]!["content"]);
        Assert.Equal(pem, Encoding.UTF8.GetString(Convert.FromBase64String((string)sent["spec"]!["signature"]!["publicKey"]!["content"]!)));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"u":{"body":"Ym9keQ==","integratedTime":1,"logID":"not hex","logIndex":1,"verification":{"signedEntryTimestamp":"c2V0"}}}""")]
    [InlineData("""{"u":{"body":"Ym9keQ==","integratedTime":1,"logID":"ab","logIndex":1}}""")]
    [InlineData("[1]")]
    public async Task LogHashedRekord_MalformedAnswer_ClearError(string answer)
    {
        using var services = Services(new StubHttpHandler(_ => StubHttpHandler.Json(HttpStatusCode.Created, answer)));

        var error = await Assert.ThrowsAsync<KeylessException>(() => services.GetRequiredService<RekorClient>()
            .LogHashedRekordAsync("http://rekor.test", new byte[32], [1], "pem", CancellationToken.None));

        Assert.StartsWith("Rekor at http://rekor.test/api/v1/log/entries answered ", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(StubHttpHandler stub)
    {
        var services = new ServiceCollection().AddKeylessSigning();
        services.AddHttpClient(FulcioClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => stub);
        services.AddHttpClient(RekorClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => stub);
        return services.BuildServiceProvider();
    }

    private static OidcIdentityToken Token() => OidcIdentityToken.Parse(Jwt($$"""{"iss":"{{Issuer}}","sub":"{{Subject}}"}"""));

    private static string Jwt(string claims)
    {
        static string Part(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("""{"alg":"none"}""") + "." + Part(claims) + "." + Part("sig");
    }
}
