using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

public sealed class SimpleSigningVerifierTests
{
    private const string SkopeoImage = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";

    [Theory]
    [InlineData("dir-img-cosign-valid", "cosign.pub", "192.168.64.2:5000/cosign-signed-single-sample")]
    [InlineData("dir-img-cosign-key-rekor-valid", "cosign2.pub", "192.168.64.2:5000/cosign-signed/key-1")]
    public void Verify_ContainersImageDirFixture_AcceptedWithItsKey(string folder, string pub, string repository)
    {
        var (digest, layer) = DirFixture(folder);
        using var key = PublicKey("containers-image", pub);

        var result = SimpleSigningVerifier.Verify(digest, repository, [key], [layer]);

        Assert.True(result.IsVerified, result.Explain());
        Assert.Equal(digest, result.Verified[0].Payload.ManifestDigest);
    }

    [Fact]
    public void Verify_KeylessFixtureWithTheLeafCertificateKey_SignatureAccepted()
    {
        var (digest, layer) = DirFixture("dir-img-cosign-fulcio-rekor-valid");
        using var certificate = X509Certificate2.CreateFromPem(
            Text("containers-image", "dir-img-cosign-fulcio-rekor-valid", "annotation-certificate.pem"));
        using var leafKey = certificate.GetECDsaPublicKey()!;

        var result = SimpleSigningVerifier.Verify(digest, null, [leafKey], [layer]);

        Assert.True(result.IsVerified, result.Explain());
    }

    [Fact]
    public void Verify_ContainersImageFixtureWithOtherKey_RejectedSignatureInvalid()
    {
        var (digest, layer) = DirFixture("dir-img-cosign-valid");
        using var other = PublicKey("containers-image", "cosign2.pub");

        var result = SimpleSigningVerifier.Verify(digest, null, [other], [layer]);

        Assert.False(result.IsVerified);
        Assert.Equal(RejectionReason.SignatureInvalid, result.Rejected.Single().Reason);
    }

    [Fact]
    public void Verify_SkopeoSigManifestTwoSigners_EachLayerVerifiesWithItsOwnKey()
    {
        var manifest = Bytes("generated-here", "skopeo-1.18-sig", "sig-manifest.json");
        var blobs = new[] { "payload-1.json", "payload-2.json" }
            .Select(f => Bytes("generated-here", "skopeo-1.18-sig", f))
            .ToDictionary(Sha256Digest);
        var layers = SignatureManifests.ToSignatureLayers(manifest, d => blobs.GetValueOrDefault(d));
        using var signer1 = PublicKey("generated-here", "skopeo-1.18-sig", "signer-1.pub");
        using var signer2 = PublicKey("generated-here", "skopeo-1.18-sig", "signer-2.pub");
        // The image the signatures are about is the fixture's image manifest.
        Assert.Equal(SkopeoImage, Sha256Digest(Bytes("generated-here", "skopeo-1.18-sig", "image-manifest.json")));

        var bySigner1 = SimpleSigningVerifier.Verify(SkopeoImage, "127.0.0.1:5000/demo/app", [signer1], layers);
        var byBoth = SimpleSigningVerifier.Verify(SkopeoImage, "127.0.0.1:5000/demo/app", [signer1, signer2], layers);

        Assert.Equal([0], bySigner1.Verified.Select(v => v.LayerIndex));
        Assert.Equal(RejectionReason.SignatureInvalid, bySigner1.Rejected.Single().Reason);
        Assert.Equal([0, 1], byBoth.Verified.Select(v => v.LayerIndex));
    }

    [Fact]
    public void Verify_SignatureMovedToAnotherImage_RejectedWrongImageDigest()
    {
        var (_, layer) = DirFixture("dir-img-cosign-valid");
        using var key = PublicKey("containers-image", "cosign.pub");

        var result = SimpleSigningVerifier.Verify(SkopeoImage, null, [key], [layer]);

        Assert.Equal(RejectionReason.WrongImageDigest, result.Rejected.Single().Reason);
    }

    [Fact]
    public void Verify_OtherRepositorysIdentity_RejectedWrongIdentity()
    {
        var (digest, layer) = DirFixture("dir-img-cosign-valid");
        using var key = PublicKey("containers-image", "cosign.pub");

        var result = SimpleSigningVerifier.Verify(digest, "192.168.64.2:5000/some-other-repository", [key], [layer]);

        Assert.Equal(RejectionReason.WrongIdentity, result.Rejected.Single().Reason);
        Assert.Contains("cosign-signed-single-sample", result.Explain(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_PayloadEditedAfterSigning_RejectedSignatureInvalid()
    {
        var (digest, layer) = DirFixture("dir-img-cosign-valid");
        using var key = PublicKey("containers-image", "cosign.pub");
        var edited = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(layer.Blob).Replace("single", "double", StringComparison.Ordinal));

        var result = SimpleSigningVerifier.Verify(digest, null, [key], [layer with { Blob = edited }]);

        Assert.Equal(RejectionReason.SignatureInvalid, result.Rejected.Single().Reason);
    }

    [Fact]
    public void Verify_BlobNotMatchingDescriptorDigest_RejectedBlobDigestMismatch()
    {
        var (digest, layer) = DirFixture("dir-img-cosign-valid");
        using var key = PublicKey("containers-image", "cosign.pub");

        var result = SimpleSigningVerifier.Verify(digest, null, [key], [layer with { DeclaredDigest = SkopeoImage }]);

        Assert.Equal(RejectionReason.BlobDigestMismatch, result.Rejected.Single().Reason);
    }

    [Fact]
    public void Verify_ValidlySignedPayloadWithoutOptional_RejectedMalformedPayload()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Utf8("{\"critical\":{\"identity\":{\"docker-reference\":\"harbor.example.com/team/app\"},\"image\":{\"docker-manifest-digest\":\"" +
                           SkopeoImage + "\"},\"type\":\"cosign container image signature\"}}");
        var layer = Layer(payload, SignBase64(signer, payload));

        var result = SimpleSigningVerifier.Verify(SkopeoImage, "harbor.example.com/team/app", [signer], [layer]);

        Assert.Equal(RejectionReason.MalformedPayload, result.Rejected.Single().Reason);
        Assert.Contains("optional", result.Rejected.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_TaggedIdentityInSameRepository_AcceptedLikeMatchRepository()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app:1.2", SkopeoImage);

        var result = SimpleSigningVerifier.Verify(SkopeoImage, "harbor.example.com/team/app", [signer], [Layer(payload, SignBase64(signer, payload))]);

        Assert.True(result.IsVerified, result.Explain());
    }

    [Fact]
    public void Verify_MissingSignatureAndWrongMediaType_RejectedWithReasons()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = Payload("harbor.example.com/team/app", SkopeoImage);
        var unsigned = new SignatureLayer(CosignMediaTypes.SimpleSigning, payload, new Dictionary<string, string>());
        var wrongType = Layer(payload, SignBase64(signer, payload)) with { MediaType = "application/octet-stream" };

        var result = SimpleSigningVerifier.Verify(SkopeoImage, null, [signer], [unsigned, wrongType]);

        Assert.Equal([RejectionReason.MissingSignature, RejectionReason.WrongMediaType], result.Rejected.Select(r => r.Reason));
    }

    [Fact]
    public void Verify_NoLayers_NotVerifiedAndSaysSo()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = SimpleSigningVerifier.Verify(SkopeoImage, null, [signer], []);

        Assert.False(result.IsVerified);
        Assert.Equal("no signatures found", result.Explain());
    }

    [Fact]
    public void Verify_OurSigManifestRoundTrip_OurLayerVerifiesForeignLayerRejected()
    {
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var theirs = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var theirPayload = Payload("harbor.example.com/team/app:1", SkopeoImage);
        var ourPayload = HarborBridge.Signing.SimpleSigning.SimpleSigningPayload.Create("harbor.example.com/team/app", SkopeoImage);
        var first = SignatureManifests.AppendSignature(null, theirPayload, SignBase64(theirs, theirPayload), theirs);
        var second = SignatureManifests.AppendSignature(first.Manifest, ourPayload,
            Convert.ToBase64String(HarborBridge.Signing.EcdsaSignatures.Sign(ours, ourPayload)), ours);
        var blobs = new[] { theirPayload, ourPayload }.ToDictionary(Sha256Digest);

        var result = SimpleSigningVerifier.Verify(SkopeoImage, "harbor.example.com/team/app", [ours],
            SignatureManifests.ToSignatureLayers(second.Manifest, blobs.GetValueOrDefault));

        Assert.Equal(1, result.Verified.Single().LayerIndex);
        Assert.Equal(0, result.Rejected.Single().LayerIndex);
    }

    private static SignatureLayer Layer(byte[] payload, string signature) =>
        new(CosignMediaTypes.SimpleSigning, payload, new Dictionary<string, string> { [CosignMediaTypes.SignatureAnnotation] = signature });

    // The image digest is computed from manifest.json here; the layer comes from containers/image's signature-1 file.
    private static (string Digest, SignatureLayer Layer) DirFixture(string folder)
    {
        var digest = Sha256Digest(Bytes("containers-image", folder, "manifest.json"));
        var layer = DirLayoutSignature.Read(Bytes("containers-image", folder, "signature-1"));
        Assert.Equal(Bytes("containers-image", folder, "payload.json"), layer.Blob);
        return (digest, layer);
    }
}
