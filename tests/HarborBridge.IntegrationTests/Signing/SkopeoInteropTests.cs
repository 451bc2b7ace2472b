using System.Security.Cryptography;
using System.Text;
using HarborBridge.Signing;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.SimpleSigning;
using HarborBridge.Signing.Verification;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// skopeo 1.18 (containers/image 5.34, code no one here wrote) against our signing code, through dir: layouts:
/// containers/image stores sigstore signatures there as signature-N files next to manifest.json, verified by a
/// sigstoreSigned policy for the dir transport exactly as for registries, so no registry is needed.
/// </summary>
public sealed class SkopeoInteropTests(SkopeoInteropFixture fixture) : IClassFixture<SkopeoInteropFixture>
{
    private const string Repository = SkopeoInteropFixture.Repository;

    // --- skopeo signs, we verify -------------------------------------------------------------------------------

    [Fact]
    public async Task Verify_SkopeoSignedWithSkopeoGeneratedKey_Accepted()
    {
        var dir = await fixture.SkopeoSignedDirAsync(fixture.OciA, "skopeo-signed", fixture.SkopeoPrivateKey, fixture.SkopeoPassphraseFile, Repository + ":v1");
        using var key = SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(fixture.SkopeoPublicKey));

        var result = SimpleSigningVerifier.Verify(ManifestDigest(dir), Repository, [key], [SignatureOf(dir)]);

        Assert.True(result.IsVerified, result.Explain());
        Assert.Equal(Repository + ":v1", result.Verified[0].Payload.DockerReference);
    }

    [Fact]
    public async Task Verify_SkopeoSignatureWithOtherKey_RejectedSignatureInvalid()
    {
        var dir = await fixture.SkopeoSignedDirAsync(fixture.OciA, "skopeo-signed", fixture.SkopeoPrivateKey, fixture.SkopeoPassphraseFile, Repository + ":v1");

        var result = SimpleSigningVerifier.Verify(ManifestDigest(dir), Repository, [fixture.OurKey], [SignatureOf(dir)]);

        Assert.Equal(RejectionReason.SignatureInvalid, result.Rejected.Single().Reason);
    }

    [Fact]
    public async Task Verify_SkopeoSignatureMovedToAnotherImage_RejectedWrongImageDigest()
    {
        var signedA = await fixture.SkopeoSignedDirAsync(fixture.OciA, "skopeo-signed", fixture.SkopeoPrivateKey, fixture.SkopeoPassphraseFile, Repository + ":v1");
        var dirB = await fixture.UnsignedDirAsync(fixture.OciB, "unsigned-b");
        using var key = SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(fixture.SkopeoPublicKey));

        var result = SimpleSigningVerifier.Verify(ManifestDigest(dirB), Repository, [key], [SignatureOf(signedA)]);

        Assert.Equal(RejectionReason.WrongImageDigest, result.Rejected.Single().Reason);
    }

    [Fact]
    public async Task Verify_SkopeoSignatureForOtherRepository_RejectedWrongIdentity()
    {
        var dir = await fixture.SkopeoSignedDirAsync(fixture.OciA, "skopeo-signed", fixture.SkopeoPrivateKey, fixture.SkopeoPassphraseFile,
            "registry.example.test/other-team/app:v1");
        using var key = SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(fixture.SkopeoPublicKey));

        var result = SimpleSigningVerifier.Verify(ManifestDigest(dir), Repository, [key], [SignatureOf(dir)]);

        Assert.Equal(RejectionReason.WrongIdentity, result.Rejected.Single().Reason);
    }

    [Fact]
    public async Task Verify_SkopeoPayloadEdited_RejectedSignatureInvalid()
    {
        var dir = await fixture.SkopeoSignedDirAsync(fixture.OciA, "skopeo-signed", fixture.SkopeoPrivateKey, fixture.SkopeoPassphraseFile, Repository + ":v1");
        using var key = SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(fixture.SkopeoPublicKey));
        var layer = SignatureOf(dir);
        var edited = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(layer.Blob).Replace(":v1", ":v2", StringComparison.Ordinal));

        var result = SimpleSigningVerifier.Verify(ManifestDigest(dir), Repository, [key], [layer with { Blob = edited }]);

        Assert.Equal(RejectionReason.SignatureInvalid, result.Rejected.Single().Reason);
    }

    // --- keys cross over ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData(CosignEncryptedKey.SigstorePemType, "our password")]
    [InlineData(CosignEncryptedKey.CosignPemType, "our password")]
    [InlineData(CosignEncryptedKey.SigstorePemType, "")]
    public async Task SkopeoSignsWithOurEncryptedKey_SkopeoAndWeVerify(string pemType, string password)
    {
        using var key = SigningKeyFiles.Generate();
        var name = "our-key-" + Guid.NewGuid().ToString("N");
        var keyFile = fixture.Skopeo.PathOf(name + ".key");
        var pubFile = fixture.Skopeo.PathOf(name + ".pub");
        var passFile = fixture.Skopeo.PathOf(name + ".pass");
        await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes(password), pemType));
        await File.WriteAllTextAsync(pubFile, SigningKeyFiles.WritePublicKey(key));
        await File.WriteAllTextAsync(passFile, password);

        var dir = await fixture.SkopeoSignedDirAsync(fixture.OciA, "signed-with-our-key", keyFile, passFile, Repository + ":v1");
        var (code, output) = await fixture.SkopeoVerifyDirAsync(dir, fixture.Skopeo.DirSigstorePolicy(name + "-policy.json", pubFile, Repository));
        var ours = SimpleSigningVerifier.Verify(ManifestDigest(dir), Repository, [key], [SignatureOf(dir)]);

        Assert.True(code == 0, output);
        Assert.True(ours.IsVerified, ours.Explain());
    }

    [Fact]
    public async Task OurLoader_SkopeoGeneratedPrivateKey_SignsWhatSkopeoAccepts()
    {
        using var skopeoKey = SigningKeyFiles.LoadPrivateKey(await File.ReadAllTextAsync(fixture.SkopeoPrivateKey), SkopeoInteropFixture.SkopeoPassphrase);
        var dir = await fixture.UnsignedDirAsync(fixture.OciB, "signed-by-us-with-skopeo-key");
        WriteOurSignature(dir, skopeoKey, SimpleSigningPayload.Create(Repository, ManifestDigest(dir)));

        var (code, output) = await fixture.SkopeoVerifyDirAsync(dir,
            fixture.Skopeo.DirSigstorePolicy("policy-skopeo-key.json", fixture.SkopeoPublicKey, Repository));

        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Verify_PayloadWithoutOptionalSignedWithSkopeoKey_RejectedByUsAndBySkopeo()
    {
        using var skopeoKey = SigningKeyFiles.LoadPrivateKey(await File.ReadAllTextAsync(fixture.SkopeoPrivateKey), SkopeoInteropFixture.SkopeoPassphrase);
        var dir = await fixture.UnsignedDirAsync(fixture.OciA, "no-optional");
        var payload = Encoding.UTF8.GetBytes(
            $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{Repository}\"}},\"image\":{{\"docker-manifest-digest\":\"{ManifestDigest(dir)}\"}},\"type\":\"cosign container image signature\"}}}}");
        WriteOurSignature(dir, skopeoKey, payload);

        var ours = SimpleSigningVerifier.Verify(ManifestDigest(dir), Repository, [skopeoKey], [SignatureOf(dir)]);
        var (code, output) = await fixture.SkopeoVerifyDirAsync(dir,
            fixture.Skopeo.DirSigstorePolicy("policy-no-optional.json", fixture.SkopeoPublicKey, Repository));

        Assert.Equal(RejectionReason.MalformedPayload, ours.Rejected.Single().Reason);
        Assert.NotEqual(0, code);
        Assert.Contains("optional", output, StringComparison.Ordinal);
    }

    // --- we sign, skopeo verifies ------------------------------------------------------------------------------

    [Fact]
    public async Task SkopeoVerify_OurDirSignature_Accepted()
    {
        var dir = await fixture.UnsignedDirAsync(fixture.OciA, "ours");
        WriteOurSignature(dir, fixture.OurKey, SimpleSigningPayload.Create(Repository, ManifestDigest(dir)));

        var (code, output) = await fixture.SkopeoVerifyDirAsync(dir, fixture.Skopeo.DirSigstorePolicy("policy-ours.json", fixture.OurPublicKey, Repository));

        Assert.True(code == 0, output);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("moved-to-other-digest")]
    [InlineData("other-repository")]
    [InlineData("edited-payload")]
    [InlineData("payload-without-optional")]
    public async Task SkopeoVerify_TamperedSignature_Rejected(string tamper)
    {
        var dir = await fixture.UnsignedDirAsync(fixture.OciA, tamper);
        var digest = ManifestDigest(dir);
        var publicKey = fixture.OurPublicKey;
        var payload = SimpleSigningPayload.Create(Repository, digest);
        switch (tamper)
        {
            case "wrong-key":
                publicKey = fixture.OtherPublicKey;
                WriteOurSignature(dir, fixture.OurKey, payload);
                break;
            case "moved-to-other-digest":
                var dirB = await fixture.UnsignedDirAsync(fixture.OciB, "b");
                WriteOurSignature(dir, fixture.OurKey, SimpleSigningPayload.Create(Repository, ManifestDigest(dirB)));
                break;
            case "other-repository":
                WriteOurSignature(dir, fixture.OurKey, SimpleSigningPayload.Create("registry.example.test/other-team/app", digest));
                break;
            case "edited-payload":
                var signature = Convert.ToBase64String(EcdsaSignatures.Sign(fixture.OurKey, payload));
                var edited = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace("\"optional\":null", "\"optional\":{}", StringComparison.Ordinal));
                WriteLayer(dir, edited, signature);
                break;
            case "payload-without-optional":
                var withoutOptional = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace(",\"optional\":null", string.Empty, StringComparison.Ordinal));
                WriteOurSignature(dir, fixture.OurKey, withoutOptional);
                break;
        }

        var (code, output) = await fixture.SkopeoVerifyDirAsync(dir,
            fixture.Skopeo.DirSigstorePolicy($"policy-{tamper}.json", publicKey, Repository));

        Assert.True(code != 0, $"skopeo accepted the {tamper} signature: {output}");
        Assert.Contains("Source image rejected", output, StringComparison.Ordinal);
    }

    private static void WriteOurSignature(string dir, ECDsa key, byte[] payload) =>
        WriteLayer(dir, payload, Convert.ToBase64String(EcdsaSignatures.Sign(key, payload)));

    private static void WriteLayer(string dir, byte[] payload, string signature)
    {
        var layer = new SignatureLayer(CosignMediaTypes.SimpleSigning, payload,
            new Dictionary<string, string> { [CosignMediaTypes.SignatureAnnotation] = signature });
        File.WriteAllBytes(Path.Combine(dir, DirLayoutSignature.FileName(1)), DirLayoutSignature.Write(layer));
    }

    // The digest of the image is the SHA-256 of manifest.json, computed here independently of the code under test.
    private static string ManifestDigest(string dir) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))));

    private static SignatureLayer SignatureOf(string dir)
    {
        var file = Path.Combine(dir, DirLayoutSignature.FileName(1));
        Assert.True(File.Exists(file), $"skopeo wrote no signature-1 in {dir}");
        return DirLayoutSignature.Read(File.ReadAllBytes(file));
    }
}
