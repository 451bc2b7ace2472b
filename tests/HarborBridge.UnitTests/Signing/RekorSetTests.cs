using System.Text.Json.Nodes;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Transparency;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

/// <summary>Rekor SETs in cosign signatures made by the containers/image maintainers against the public-good Rekor.</summary>
public sealed class RekorSetTests
{
    private const string KeyRekor = "dir-img-cosign-key-rekor-valid";
    private const string FulcioRekor = "dir-img-cosign-fulcio-rekor-valid";

    [Fact]
    public void Verify_KeySignedFixtureWithPublicGoodRekorKey_VerifiedAtItsIntegratedTime()
    {
        var layer = Layer(KeyRekor);
        using var rekor = PublicKey("containers-image", "rekor.pub");

        var result = RekorSet.Verify(Bundle(layer), layer.Blob, layer.Signature!, Text("containers-image", "cosign2.pub"), [rekor]);

        Assert.True(result.IsVerified, result.FailureReason);
        // integratedTime and logIndex as written in the fixture's annotation (read with a JSON viewer).
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1674251859), result.IntegratedTime);
        Assert.Equal(11608800, result.LogIndex);
    }

    [Fact]
    public void Verify_KeylessFixtureWithLeafCertificate_Verified()
    {
        var layer = Layer(FulcioRekor);
        using var rekor = PublicKey("containers-image", "rekor.pub");
        var certificate = Text("containers-image", FulcioRekor, "annotation-certificate.pem");

        var result = RekorSet.Verify(Bundle(layer), layer.Blob, layer.Signature!, certificate, [rekor]);

        Assert.True(result.IsVerified, result.FailureReason);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1674247893), result.IntegratedTime);
    }

    [Fact]
    public void Verify_IntegratedTimeEdited_SetRejected()
    {
        var layer = Layer(KeyRekor);
        var bundle = JsonNode.Parse(Bundle(layer))!;
        bundle["Payload"]!["integratedTime"] = 1674251860;
        using var rekor = PublicKey("containers-image", "rekor.pub");

        var result = RekorSet.Verify(bundle.ToJsonString(), layer.Blob, layer.Signature!, Text("containers-image", "cosign2.pub"), [rekor]);

        Assert.False(result.IsVerified);
        Assert.Contains("does not verify", result.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cosign.pub", "cosign2.pub", "no trusted Rekor key")]      // a key that is not Rekor's
    [InlineData("rekor.pub", "cosign.pub", "another public key")]          // the SET checked against another signer
    public void Verify_WrongRekorKeyOrSigner_Rejected(string rekorKey, string signerKey, string reason)
    {
        var layer = Layer(KeyRekor);
        using var rekor = PublicKey("containers-image", rekorKey);

        var result = RekorSet.Verify(Bundle(layer), layer.Blob, layer.Signature!, Text("containers-image", signerKey), [rekor]);

        Assert.False(result.IsVerified);
        Assert.Contains(reason, result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SetMovedToAnotherSignature_Rejected()
    {
        var withSet = Layer(KeyRekor);
        var other = Layer("dir-img-cosign-valid");
        using var rekor = PublicKey("containers-image", "rekor.pub");

        var result = RekorSet.Verify(Bundle(withSet), other.Blob, other.Signature!, Text("containers-image", "cosign.pub"), [rekor]);

        Assert.False(result.IsVerified);
        Assert.Contains("another payload hash", result.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"SignedEntryTimestamp\":\"AA==\"}")]
    [InlineData("{\"SignedEntryTimestamp\":\"AA==\",\"Payload\":{\"body\":\"e30=\",\"integratedTime\":1,\"logIndex\":1,\"logID\":\"xyz\"}}")]
    public void Verify_MalformedAnnotation_RejectedWithReason(string annotation)
    {
        var layer = Layer(KeyRekor);
        using var rekor = PublicKey("containers-image", "rekor.pub");

        var result = RekorSet.Verify(annotation, layer.Blob, layer.Signature!, Text("containers-image", "cosign2.pub"), [rekor]);

        Assert.False(result.IsVerified);
        Assert.StartsWith("the Rekor bundle", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRekorKeys_CosignPublicGoodTrustedRoot_KeyVerifiesTheFixtureSet()
    {
        var keys = SigstoreTrustedRoot.ReadRekorKeys(Bytes("cosign", "trusted_root_pgi.json"));
        var layer = Layer(KeyRekor);

        var rekor = Assert.Single(keys);
        // The logID the fixture's annotation names (and the README's SHA-256 of rekor.pub).
        Assert.Equal("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", rekor.LogId);
        Assert.Equal("https://rekor.sigstore.dev", rekor.BaseUrl);
        using var key = rekor.CreateKey();
        Assert.True(RekorSet.Verify(Bundle(layer), layer.Blob, layer.Signature!, Text("containers-image", "cosign2.pub"), [key]).IsVerified);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"mediaType\":\"application/json\"}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{\"baseUrl\":\"x\",\"publicKey\":{\"rawBytes\":\"AAAA\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}]}")]
    public void ReadRekorKeys_UnusableFile_ClearError(string json)
    {
        var error = Assert.Throws<TrustedRootException>(() => SigstoreTrustedRoot.ReadRekorKeys(Utf8(json)));

        Assert.StartsWith("the ", error.Message, StringComparison.Ordinal);
    }

    private static SignatureLayer Layer(string folder) => DirLayoutSignature.Read(Bytes("containers-image", folder, "signature-1"));

    private static string Bundle(SignatureLayer layer) => layer.Annotations[RekorSet.BundleAnnotation];
}
