using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

/// <summary>
/// Our keyless verifier against signatures made by others with the public-good Sigstore: containers/image's legacy
/// keyless `.sig` layer and cosign's keyless DSSE bundle. Identities and issuers were read out of the certificates with
/// `openssl x509 -text` (SAN e-mail, extension 1.3.6.1.4.1.57264.1.1 / .1.8); digests from the payload / statement files.
/// </summary>
public sealed class KeylessVerificationTests
{
    private const string LegacyFolder = "dir-img-cosign-fulcio-rekor-valid";
    private const string LegacyIdentity = "mitr@redhat.com";
    private const string LegacyImage = "sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a";
    private const string LegacyRepository = "192.168.64.2:5000/cosign-signed/fulcio-rekor-1";
    private const long LegacyIntegratedTime = 1674247893;
    private const string BundleIdentity = "cody@soyland.com";
    private const string BundleImage = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    private const string GitHub = "https://github.com/login/oauth";

    [Fact]
    public void VerifyLegacy_FixtureWithFulcioRootAndRekorKeyFiles_AcceptedWithIdentity()
    {
        var result = KeylessSignatureVerifier.Verify(LegacyImage, LegacyRepository, new KeylessPolicy(LegacyIdentity, GitHub, PemTrust()), [LegacyLayer()]);

        Assert.True(result.IsVerified, result.Explain());
        var verified = Assert.Single(result.Verified);
        Assert.Equal(new CertificateIdentity(LegacyIdentity, GitHub), verified.Signer);
        Assert.Equal(Bytes("containers-image", LegacyFolder, "payload.json"), verified.PayloadBytes);
    }

    [Fact]
    public void VerifyLegacy_FixtureWithCosignTrustedRoot_Accepted()
    {
        var trust = KeylessTrust.FromTrustedRoot(Bytes("cosign", "trusted_root_pgi.json"));

        var result = KeylessSignatureVerifier.Verify(LegacyImage, null, new KeylessPolicy(LegacyIdentity, GitHub, trust), [LegacyLayer()]);

        Assert.True(result.IsVerified, result.Explain());
    }

    [Theory]
    [InlineData("someone@example.com", GitHub, "the certificate identity is 'mitr@redhat.com', not 'someone@example.com'")]
    [InlineData(LegacyIdentity, "https://accounts.google.com", "OIDC issuer is 'https://github.com/login/oauth', not 'https://accounts.google.com'")]
    public void VerifyLegacy_WrongIdentityOrIssuer_Rejected(string identity, string issuer, string reason)
    {
        var result = KeylessSignatureVerifier.Verify(LegacyImage, null, new KeylessPolicy(identity, issuer, PemTrust()), [LegacyLayer()]);

        var rejected = Assert.Single(result.Rejected);
        Assert.Equal(RejectionReason.CertificateUntrusted, rejected.Reason);
        Assert.Contains(reason, rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyLegacy_OtherFulcioRoot_Rejected()
    {
        using var otherRoot = SelfSignedCa();
        var trust = KeylessTrust.FromPem(otherRoot.ExportCertificatePem(), Text("containers-image", "rekor.pub"));

        var result = KeylessSignatureVerifier.Verify(LegacyImage, null, new KeylessPolicy(LegacyIdentity, GitHub, trust), [LegacyLayer()]);

        var rejected = Assert.Single(result.Rejected);
        Assert.Equal(RejectionReason.CertificateUntrusted, rejected.Reason);
        Assert.Contains("does not chain to a trusted Fulcio root", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyLegacy_PayloadEdited_SignatureRejected()
    {
        var layer = LegacyLayer();
        var edited = layer with { Blob = Utf8(Encoding.UTF8.GetString(layer.Blob).Replace("fulcio-rekor-1", "fulcio-rekor-2", StringComparison.Ordinal)), DeclaredDigest = null };

        var result = KeylessSignatureVerifier.Verify(LegacyImage, null, new KeylessPolicy(LegacyIdentity, GitHub, PemTrust()), [edited]);

        Assert.Equal(RejectionReason.SignatureInvalid, Assert.Single(result.Rejected).Reason);
    }

    [Fact]
    public void VerifyLegacy_OtherImageDigest_Rejected()
    {
        const string other = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

        var result = KeylessSignatureVerifier.Verify(other, null, new KeylessPolicy(LegacyIdentity, GitHub, PemTrust()), [LegacyLayer()]);

        Assert.Equal(RejectionReason.WrongImageDigest, Assert.Single(result.Rejected).Reason);
    }

    [Theory]
    [InlineData(KeylessSignatureVerifier.CertificateAnnotation, RejectionReason.MissingCertificate)]
    [InlineData(RekorSet.BundleAnnotation, RejectionReason.MissingTransparencyProof)]
    public void VerifyLegacy_AnnotationMissing_Rejected(string annotation, RejectionReason reason)
    {
        var layer = LegacyLayer();
        var without = layer with { Annotations = layer.Annotations.Where(a => a.Key != annotation).ToDictionary() };

        var result = KeylessSignatureVerifier.Verify(LegacyImage, null, new KeylessPolicy(LegacyIdentity, GitHub, PemTrust()), [without]);

        Assert.Equal(reason, Assert.Single(result.Rejected).Reason);
    }

    [Fact]
    public void VerifyLegacy_IntegratedTimeEdited_TransparencyProofRejected()
    {
        var layer = LegacyLayer();
        var bundle = JsonNode.Parse(layer.Annotations[RekorSet.BundleAnnotation])!;
        bundle["Payload"]!["integratedTime"] = LegacyIntegratedTime + 3600;
        var edited = layer with { Annotations = new Dictionary<string, string>(layer.Annotations) { [RekorSet.BundleAnnotation] = bundle.ToJsonString() } };

        var result = KeylessSignatureVerifier.Verify(LegacyImage, null, new KeylessPolicy(LegacyIdentity, GitHub, PemTrust()), [edited]);

        Assert.Equal(RejectionReason.TransparencyProofInvalid, Assert.Single(result.Rejected).Reason);
    }

    // The leaf is valid 20:51:31 to 21:01:31 on 2023-01-20 (openssl); the fixture's integrated time 20:51:33 is inside.
    [Theory]
    [InlineData(LegacyIntegratedTime, true)]
    [InlineData(LegacyIntegratedTime + 600, false)]
    [InlineData(LegacyIntegratedTime - 3, false)]
    public void VerifyCertificate_AtTimesAroundValidity_OnlyInsideAccepted(long unixTime, bool accepted)
    {
        using var leaf = X509Certificate2.CreateFromPem(Text("containers-image", LegacyFolder, "annotation-certificate.pem"));
        X509Certificate2Collection chain = [];
        chain.ImportFromPem(Text("containers-image", LegacyFolder, "annotation-chain.pem"));

        var check = FulcioCertificateVerifier.Verify(leaf, [.. chain], PemTrust(), DateTimeOffset.FromUnixTimeSeconds(unixTime), LegacyIdentity, GitHub);

        Assert.Equal(accepted, check.IsVerified);
        if (!accepted)
        {
            Assert.Contains("not valid at the signing time", check.FailureReason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void VerifyBundle_CosignKeylessDsseBundle_AcceptedWithIdentityAndTime()
    {
        var result = KeylessBundleVerifier.Verify(Bytes("cosign", "oci-attestation.sigstore.json"), null, BundleImage, BundlePolicy());

        Assert.True(result.IsVerified, result.FailureReason);
        Assert.Equal(new CertificateIdentity(BundleIdentity, GitHub), result.Signer);
        // integratedTime of the bundle's tlog entry.
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1740770291), result.SignedAt);
        Assert.Equal("https://cosign.sigstore.dev/attestation/v1", result.PredicateType);
        Assert.Equal(Bytes("cosign", "oci-attestation.statement.json"), result.Payload);
    }

    [Theory]
    [InlineData("identity", "the certificate identity is 'cody@soyland.com', not 'someone@example.com'")]
    [InlineData("issuer", "OIDC issuer is 'https://github.com/login/oauth', not 'https://oauth2.sigstore.dev/auth'")]
    [InlineData("root", "does not chain to a trusted Fulcio root")]
    [InlineData("image", "do not include the artifact sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00")]
    public void VerifyBundle_WrongPolicyOrImage_Rejected(string wrong, string reason)
    {
        var policy = BundlePolicy();
        var image = BundleImage;
        using var otherRoot = SelfSignedCa();
        switch (wrong)
        {
            case "identity":
                policy = policy with { Identity = "someone@example.com" };
                break;
            case "issuer":
                policy = policy with { Issuer = "https://oauth2.sigstore.dev/auth" };
                break;
            case "root":
                var trust = KeylessTrust.FromTrustedRoot(Bytes("cosign", "trusted_root_pgi.json"));
                policy = policy with { Trust = new KeylessTrust([new CertificateAuthority("", [otherRoot], null, null)], trust.RekorKeys) };
                break;
            case "image":
                image = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
                break;
        }

        var result = KeylessBundleVerifier.Verify(Bytes("cosign", "oci-attestation.sigstore.json"), null, image, policy);

        Assert.False(result.IsVerified);
        Assert.Contains(reason, result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyBundle_StatementEdited_SignatureRejected()
    {
        var bundle = JsonNode.Parse(Bytes("cosign", "oci-attestation.sigstore.json"))!;
        var statement = Encoding.UTF8.GetString(Bytes("cosign", "oci-attestation.statement.json")).Replace("127.0.0.1:60943/repo", "127.0.0.1:60943/other", StringComparison.Ordinal);
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Utf8(statement));

        var result = KeylessBundleVerifier.Verify(Utf8(bundle.ToJsonString()), null, BundleImage, BundlePolicy());

        Assert.False(result.IsVerified);
        Assert.Contains("DSSE envelope's signature does not verify", result.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hash", "inclusion proof does not lead from the entry to the root hash")]
    [InlineData("index", "inclusion proof does not lead from the entry to the root hash")]
    [InlineData("checkpoint", "checkpoint is not signed by a trusted Rekor key")]
    [InlineData("set", "signed entry timestamp does not verify")]
    public void VerifyBundle_TransparencyProofTampered_Rejected(string tamper, string reason)
    {
        var bundle = JsonNode.Parse(Bytes("cosign", "oci-attestation.sigstore.json"))!;
        var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        var proof = entry["inclusionProof"]!;
        switch (tamper)
        {
            case "hash":
                var first = Convert.FromBase64String((string)proof["hashes"]![0]!);
                first[0] ^= 1;
                proof["hashes"]![0] = Convert.ToBase64String(first);
                break;
            case "index":
                proof["logIndex"] = "53604733";
                break;
            case "checkpoint":
                var envelope = (string)proof["checkpoint"]!["envelope"]!;
                proof["checkpoint"]!["envelope"] = envelope.Replace("rekor.sigstore.dev - 1193050959916656506", "rekor.sigstore.dev - 1193050959916656507", StringComparison.Ordinal);
                break;
            case "set":
                entry["logIndex"] = "175508997";
                break;
        }

        var result = KeylessBundleVerifier.Verify(Utf8(bundle.ToJsonString()), null, BundleImage, BundlePolicy());

        Assert.False(result.IsVerified);
        Assert.Contains(reason, result.FailureReason, StringComparison.Ordinal);
    }

    // A 5-leaf tree built by hand with SHA-256 (RFC 6962: leaf = H(0||d), node = H(1||l||r), the left subtree is the
    // largest power of two): root = H(1 || H(1 || H(1||l0||l1) || H(1||l2||l3)) || l4).
    [Fact]
    public void MerkleInclusion_HandBuiltFiveLeafTree_EveryLeafProvesAndWrongPathsFail()
    {
        var leaves = Enumerable.Range(0, 5).Select(i => SHA256.HashData([0, (byte)i])).ToArray();
        static byte[] Node(byte[] l, byte[] r) => SHA256.HashData([1, .. l, .. r]);
        var n01 = Node(leaves[0], leaves[1]);
        var n23 = Node(leaves[2], leaves[3]);
        var n0123 = Node(n01, n23);
        var root = Node(n0123, leaves[4]);
        var paths = new[]
        {
            new[] { leaves[1], n23, leaves[4] },
            [leaves[0], n23, leaves[4]],
            [leaves[3], n01, leaves[4]],
            [leaves[2], n01, leaves[4]],
            [n0123],
        };

        for (var i = 0; i < 5; i++)
        {
            Assert.True(MerkleInclusion.Verify(leaves[i], i, 5, paths[i], root), $"leaf {i}");
            Assert.False(MerkleInclusion.Verify(leaves[i], (i + 1) % 5, 5, paths[i], root), $"leaf {i} at another index");
            Assert.False(MerkleInclusion.Verify(leaves[i], i, 4, paths[i], root), $"leaf {i} in a smaller tree");
        }

        Assert.Equal(SHA256.HashData([0, 7, 7]), MerkleInclusion.LeafHash([7, 7]));
    }

    [Fact]
    public void KeylessTrust_FromPemWithoutCertificate_ClearError()
    {
        var error = Assert.Throws<TrustedRootException>(() => KeylessTrust.FromPem(Text("containers-image", "rekor.pub"), Text("containers-image", "rekor.pub")));

        Assert.Contains("Fulcio", error.Message, StringComparison.Ordinal);
    }

    private static SignatureLayer LegacyLayer() => DirLayoutSignature.Read(Bytes("containers-image", LegacyFolder, "signature-1"));

    private static KeylessTrust PemTrust() =>
        KeylessTrust.FromPem(Text("containers-image", "fulcio_v1.crt.pem"), Text("containers-image", "rekor.pub"));

    [Fact]
    public void VerifyLegacyAtt_LayerMadeOfCosignKeylessAttestation_AcceptedWithIdentityAndTime()
    {
        var result = KeylessAttestationLayer.Verify(LegacyAttLayer(), BundleImage, BundlePolicy());

        Assert.True(result.IsVerified, result.FailureReason);
        Assert.Equal(new CertificateIdentity(BundleIdentity, GitHub), result.Signer);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1740770291), result.SignedAt);
        Assert.Equal("https://cosign.sigstore.dev/attestation/v1", result.PredicateType);
    }

    [Theory]
    [InlineData("identity", "the certificate identity is 'cody@soyland.com', not 'someone@example.com'")]
    [InlineData("image", "do not include the artifact sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00")]
    [InlineData("integratedTime", "transparency log entry")]
    [InlineData("no-rekor", "no 'dev.sigstore.cosign/bundle' annotation")]
    [InlineData("no-certificate", "no 'dev.sigstore.cosign/certificate' annotation")]
    public void VerifyLegacyAtt_EditedOrIncomplete_RejectedWithReason(string change, string reason)
    {
        var layer = LegacyAttLayer();
        var annotations = new Dictionary<string, string>(layer.Annotations);
        var policy = BundlePolicy();
        var image = BundleImage;
        switch (change)
        {
            case "identity":
                policy = policy with { Identity = "someone@example.com" };
                break;
            case "image":
                image = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
                break;
            case "integratedTime":
                var rekor = JsonNode.Parse(annotations[RekorSet.BundleAnnotation])!;
                rekor["Payload"]!["integratedTime"] = rekor["Payload"]!["integratedTime"]!.GetValue<long>() + 1;
                annotations[RekorSet.BundleAnnotation] = rekor.ToJsonString();
                break;
            case "no-rekor":
                annotations.Remove(RekorSet.BundleAnnotation);
                break;
            default:
                annotations.Remove(KeylessSignatureVerifier.CertificateAnnotation);
                break;
        }

        var result = KeylessAttestationLayer.Verify(layer with { Annotations = annotations }, image, policy);

        Assert.False(result.IsVerified);
        Assert.Contains(reason, result.FailureReason, StringComparison.Ordinal);
    }

    // A keyless attestation in cosign's legacy .att layout (shared/reference/notes/cosign.md §4, §6), built from the parts of
    // cosign's public-good keyless DSSE bundle: envelope as blob, leaf as PEM certificate annotation, the Rekor entry and SET
    // as the dev.sigstore.cosign/bundle annotation (Go field names, hex log ID).
    private static SignatureLayer LegacyAttLayer()
    {
        var bundle = JsonNode.Parse(Bytes("cosign", "oci-attestation.sigstore.json"))!;
        var material = bundle["verificationMaterial"]!;
        var entry = material["tlogEntries"]![0]!;
        var leaf = material["certificate"]!["rawBytes"]!.GetValue<string>();
        var rekor = new JsonObject
        {
            ["SignedEntryTimestamp"] = entry["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>(),
            ["Payload"] = new JsonObject
            {
                ["body"] = entry["canonicalizedBody"]!.GetValue<string>(),
                ["integratedTime"] = long.Parse(entry["integratedTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                ["logIndex"] = long.Parse(entry["logIndex"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                ["logID"] = Convert.ToHexStringLower(Convert.FromBase64String(entry["logId"]!["keyId"]!.GetValue<string>())),
            },
        };
        var annotations = new Dictionary<string, string>
        {
            [CosignMediaTypes.SignatureAnnotation] = "",
            [CosignMediaTypes.PredicateTypeAnnotation] = "https://cosign.sigstore.dev/attestation/v1",
            [KeylessSignatureVerifier.CertificateAnnotation] = $"-----BEGIN CERTIFICATE-----\n{leaf}\n-----END CERTIFICATE-----\n",
            [KeylessSignatureVerifier.ChainAnnotation] = "",
            [RekorSet.BundleAnnotation] = rekor.ToJsonString(),
        };
        return new SignatureLayer(CosignMediaTypes.DsseEnvelope, Utf8(bundle["dsseEnvelope"]!.ToJsonString()), annotations);
    }

    private static KeylessPolicy BundlePolicy() =>
        new(BundleIdentity, GitHub, KeylessTrust.FromTrustedRoot(Bytes("cosign", "trusted_root_pgi.json")));

    private static X509Certificate2 SelfSignedCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("O=sigstore.dev, CN=sigstore", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }
}
