using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Verification;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

public sealed class DsseAndBundleTests
{
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";
    private const string OtherImage = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    [Fact]
    public void Pae_DsseSpecExample_ExactBytes()
    {
        // The worked example of the DSSE protocol description.
        var pae = DsseEnvelope.Pae("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.ASCII.GetString(pae));
    }

    [Fact]
    public void Pae_MultiByteCharacters_LengthsCountBytes()
    {
        var pae = DsseEnvelope.Pae("t", Encoding.UTF8.GetBytes("é"));

        Assert.Equal(Encoding.UTF8.GetBytes("DSSEv1 1 t 2 é"), pae);
    }

    [Fact]
    public void CosignEnvelopeFixture_VerifiesWithItsCertificateKey_AndBindsToTheStatementSubject()
    {
        var bundle = JsonNode.Parse(Bytes("cosign", "oci-attestation.sigstore.json"))!;
        using var certificate = X509CertificateLoader.LoadCertificate(
            Convert.FromBase64String(bundle["verificationMaterial"]!["certificate"]!["rawBytes"]!.GetValue<string>()));
        using var key = certificate.GetECDsaPublicKey()!;
        var layer = new SignatureLayer(CosignMediaTypes.DsseEnvelope, Bytes("cosign", "oci-attestation.dsse-envelope.json"),
            new Dictionary<string, string>());

        var (verified, rejected) = AttestationVerifier.Verify(
            "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4", [key], [layer]);

        Assert.Empty(rejected);
        Assert.Equal("https://cosign.sigstore.dev/attestation/v1", verified.Single().PredicateType);
        Assert.Equal(Bytes("cosign", "oci-attestation.statement.json"), verified.Single().Statement);
    }

    [Fact]
    public void SigstoreReferrerFixtureBundle_VerifiesWithSignerKeyForItsSubject()
    {
        using var key = PublicKey("generated-here", "sigstore-oci-referrer", "bundle-signer.pub");
        var subject = Sha256Digest(Bytes("generated-here", "sigstore-oci-referrer", "subject-image-manifest.json"));

        var result = SigstoreBundle.Verify(Bytes("generated-here", "sigstore-oci-referrer", "bundle-key-based-dsse.json"), subject, [key]);

        Assert.True(result.IsVerified, result.FailureReason);
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", result.PredicateType);
    }

    [Fact]
    public void SigstoreReferrerFixtureBundle_OtherImage_Rejected()
    {
        using var key = PublicKey("generated-here", "sigstore-oci-referrer", "bundle-signer.pub");

        var result = SigstoreBundle.Verify(Bytes("generated-here", "sigstore-oci-referrer", "bundle-key-based-dsse.json"), OtherImage, [key]);

        Assert.False(result.IsVerified);
        Assert.Contains(OtherImage, result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void SigstoreReferrerFixtureBundle_OtherKey_RejectedByHint()
    {
        using var other = PublicKey("containers-image", "cosign.pub");

        var result = SigstoreBundle.Verify(Bytes("generated-here", "sigstore-oci-referrer", "bundle-key-based-dsse.json"), Image, [other]);

        Assert.False(result.IsVerified);
        Assert.Contains("key hint", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_OwnBundle_ShapeAsCosignWritesAndVerifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var statement = new InTotoStatement("harbor.example.com/team/app", Image, Predicates.CosignSignV1, new JsonObject());

        var bundle = SigstoreBundle.Create(statement.Sign(key), key);

        using var json = JsonDocument.Parse(bundle);
        var root = json.RootElement;
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", root.GetProperty("mediaType").GetString());
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(key.ExportSubjectPublicKeyInfo())),
            root.GetProperty("verificationMaterial").GetProperty("publicKey").GetProperty("hint").GetString());
        var envelope = root.GetProperty("dsseEnvelope");
        Assert.Equal("application/vnd.in-toto+json", envelope.GetProperty("payloadType").GetString());
        var payload = Convert.FromBase64String(envelope.GetProperty("payload").GetString()!);
        var signature = Convert.FromBase64String(envelope.GetProperty("signatures")[0].GetProperty("sig").GetString()!);
        // Signature over PAE built by hand here.
        var pae = Encoding.UTF8.GetBytes($"DSSEv1 28 application/vnd.in-toto+json {payload.Length} ").Concat(payload).ToArray();
        Assert.True(key.VerifyData(pae, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        using var statementJson = JsonDocument.Parse(payload);
        Assert.Equal("https://in-toto.io/Statement/v1", statementJson.RootElement.GetProperty("_type").GetString());
        Assert.Equal(Image["sha256:".Length..], statementJson.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.True(SigstoreBundle.Verify(bundle, Image, [key]).IsVerified);
    }

    [Fact]
    public void Verify_OwnBundleWithEditedStatement_Rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var statement = new InTotoStatement("harbor.example.com/team/app", Image, Predicates.CosignSignV1, new JsonObject());
        var bundle = JsonNode.Parse(SigstoreBundle.Create(statement.Sign(key), key))!;
        var forged = new InTotoStatement("harbor.example.com/team/app", OtherImage, Predicates.CosignSignV1, new JsonObject()).ToJson();
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(forged);

        var result = SigstoreBundle.Verify(Encoding.UTF8.GetBytes(bundle.ToJsonString()), OtherImage, [key]);

        Assert.False(result.IsVerified);
        Assert.Contains("does not verify", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WrongMediaType_Rejected()
    {
        var result = SigstoreBundle.Verify("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.1\"}"u8, Image,
            [ECDsa.Create(ECCurve.NamedCurves.nistP256)]);

        Assert.False(result.IsVerified);
        Assert.Contains("media type", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferrerManifest_MatchesTheLayoutSigstoreOciWrote()
    {
        var bundle = Bytes("generated-here", "sigstore-oci-referrer", "bundle-key-based-dsse.json");
        var subject = Bytes("generated-here", "sigstore-oci-referrer", "subject-image-manifest.json");

        var manifest = SigstoreBundle.ReferrerManifest(bundle, Predicates.CosignSignV1, "application/vnd.oci.image.manifest.v1+json",
            Sha256Digest(subject), subject.Length, DateTimeOffset.Parse("2026-11-27T17:29:17Z", System.Globalization.CultureInfo.InvariantCulture));

        var ours = JsonNode.Parse(manifest)!;
        var theirs = JsonNode.Parse(Bytes("generated-here", "sigstore-oci-referrer", "referrer-manifest.json"))!;
        // @sigstore/oci writes milliseconds and omits config.artifactType (cosign sets it); all else must match.
        theirs["annotations"]!["org.opencontainers.image.created"] = "2026-11-27T17:29:17Z";
        theirs["config"]!["artifactType"] = "application/vnd.dev.sigstore.bundle.v0.3+json";
        Assert.True(JsonNode.DeepEquals(theirs, ours), ours.ToJsonString());
        Assert.Equal("{}", Encoding.UTF8.GetString(SigstoreBundle.EmptyConfig));
    }

    [Fact]
    public void DecisionAttestation_AppendedToAttManifest_VerifiesAndIsIdempotent()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var predicate = Predicates.Decision(new DecisionPredicate("policy-7", OtherImage, "pass",
            new DateTimeOffset(2026, 11, 27, 19, 0, 0, TimeSpan.Zero), [new DecisionException("EX-1", "CVE-2024-1234", null)]));
        var envelope = new InTotoStatement("harbor.example.com/team/app", Image, Predicates.HarborBridgeDecisionV1, predicate).Sign(key);
        var blobs = new Dictionary<string, byte[]>();

        var first = SignatureManifests.AppendAttestation(null, envelope, Predicates.HarborBridgeDecisionV1, key, d => blobs.GetValueOrDefault(d));
        blobs[first.LayerDigest] = first.LayerBlob;
        var resigned = new InTotoStatement("harbor.example.com/team/app", Image, Predicates.HarborBridgeDecisionV1, predicate).Sign(key);
        var second = SignatureManifests.AppendAttestation(first.Manifest, resigned, Predicates.HarborBridgeDecisionV1, key, d => blobs.GetValueOrDefault(d));

        Assert.True(first.Added);
        Assert.False(second.Added);
        var layerJson = JsonNode.Parse(first.Manifest)!["layers"]![0]!;
        Assert.Equal("application/vnd.dsse.envelope.v1+json", layerJson["mediaType"]!.GetValue<string>());
        Assert.Equal("https://harborbridge.dev/decision/v1", layerJson["annotations"]!["predicateType"]!.GetValue<string>());
        Assert.Equal(string.Empty, layerJson["annotations"]!["dev.cosignproject.cosign/signature"]!.GetValue<string>());
        var layers = SignatureManifests.ToSignatureLayers(first.Manifest, d => blobs.GetValueOrDefault(d));
        var (verified, _) = AttestationVerifier.Verify(Image, [key], layers);
        var statement = JsonNode.Parse(verified.Single().Statement)!["predicate"]!;
        Assert.Equal("policy-7", statement["policyVersion"]!.GetValue<string>());
        Assert.Equal(OtherImage, statement["reportDigest"]!.GetValue<string>());
        Assert.Equal("pass", statement["verdict"]!.GetValue<string>());
        Assert.Equal("CVE-2024-1234", statement["exceptionsUsed"]![0]!["vulnerability"]!.GetValue<string>());
        var (forOther, rejected) = AttestationVerifier.Verify(OtherImage, [key], layers);
        Assert.Empty(forOther);
        Assert.Equal(RejectionReason.WrongImageDigest, rejected.Single().Reason);
    }

    [Fact]
    public void VulnPredicate_CosignFieldNames()
    {
        var predicate = Predicates.Vuln(new VulnScanner("pkg:github/aquasecurity/trivy@v0.58.0", "0.58.0", "db-uri", "2", new JsonObject { ["Results"] = new JsonArray() }),
            new DateTimeOffset(2026, 11, 27, 18, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 27, 18, 1, 0, TimeSpan.Zero));

        Assert.Equal("pkg:github/aquasecurity/trivy@v0.58.0", predicate["scanner"]!["uri"]!.GetValue<string>());
        Assert.Equal("2", predicate["scanner"]!["db"]!["version"]!.GetValue<string>());
        Assert.NotNull(predicate["scanner"]!["result"]!["Results"]);
        Assert.Equal("2026-11-27T18:00:00Z", predicate["metadata"]!["scanStartedOn"]!.GetValue<string>());
        Assert.Equal("2026-11-27T18:01:00Z", predicate["metadata"]!["scanFinishedOn"]!.GetValue<string>());
        Assert.True(predicate["invocation"]!.AsObject().ContainsKey("builder.id"));
        Assert.Equal("https://cosign.sigstore.dev/attestation/vuln/v1", Predicates.CosignVulnV1);
    }

    [Fact]
    public void AttestationVerifier_EnvelopeNotInToto_RejectedMalformedPayload()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = DsseEnvelope.Sign(key, "text/plain", Utf8("not a statement"));
        var layer = new SignatureLayer(CosignMediaTypes.DsseEnvelope, envelope.ToJson(), new Dictionary<string, string>());

        var (verified, rejected) = AttestationVerifier.Verify(Image, [key], [layer]);

        Assert.Empty(verified);
        Assert.Equal(RejectionReason.MalformedPayload, rejected.Single().Reason);
    }

    [Fact]
    public void AttestationVerifier_OtherKey_RejectedSignatureInvalid()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = new InTotoStatement("harbor.example.com/team/app", Image, Predicates.CosignVulnV1, new JsonObject()).Sign(key);
        var layer = new SignatureLayer(CosignMediaTypes.DsseEnvelope, envelope.ToJson(), new Dictionary<string, string>());

        var (_, rejected) = AttestationVerifier.Verify(Image, [other], [layer]);

        Assert.Equal(RejectionReason.SignatureInvalid, rejected.Single().Reason);
    }

    [Fact]
    public void DsseEnvelope_ToJson_CosignKeyOrderAndNoEmptyKeyId()
    {
        var envelope = new DsseEnvelope("application/vnd.in-toto+json", Utf8("{}"), [new DsseSignature(string.Empty, [1, 2, 3])]);

        Assert.Equal("{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"AQID\"}]}",
            Encoding.UTF8.GetString(envelope.ToJson()));
    }
}
