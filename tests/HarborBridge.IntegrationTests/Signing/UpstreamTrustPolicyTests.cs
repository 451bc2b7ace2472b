using System.Security.Cryptography;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Harbor;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.Signing;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// The trust policy through the whole pipeline (Harbor simulator in front of the real docker-registry, real RabbitMQ and
/// PostgreSQL, a signing key): images signed upstream by skopeo 1.18 (its own <c>--sign-by-sigstore-private-key</c>,
/// pushed straight to the registry, so the signature is there before Harbor announces the image) are judged against a
/// <c>require</c> block naming skopeo's public key. Signed with that key: approved and co-signed (HarborBridge's layer
/// beside skopeo's). Unsigned or signed by another key: blocked, with an explanation naming the key expected and what
/// was found; under <c>action: warn</c> the unsigned image is warned (and signed), with the same explanation. Then
/// keyless: a Sigstore bundle made against @sigstore/mock's Fulcio and Rekor (tests/tools/sigstore-keyless-bundle.js, not
/// our code) and attached as an OCI referrer passes with the required identity and fails with another; a SLSA v1
/// provenance bundle by the right identity but naming another builder fails the attestation requirement.
/// </summary>
public sealed class UpstreamTrustPolicyTests(SigstoreMockServers mock) : IAsyncLifetime, IClassFixture<SigstoreMockServers>
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Workflow = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    private const string Builder = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0";
    private const string InternalBuilder = "https://ci.acme.example/builders/release-runner";
    private const string InternalSource = "https://git.acme.example/acme/app";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly string ReportFile = TestEnvironment.FixturePath("policy", "harbor", "vulnerabilities_addition.response.json");

    private readonly PipelineHost _host = new("trust");
    private readonly ECDsa _attesterKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private Observed<ArtifactSigned> _signed = null!;
    private SkopeoRunner _skopeo = null!;

    private string UpstreamPublicKey => _skopeo.PathOf("upstream.pub");

    private string AttesterPublicKey => _host.PathOf("attester.pub");

    public async Task InitializeAsync()
    {
        _skopeo = new SkopeoRunner(_host.Folder);
        await File.WriteAllTextAsync(_skopeo.PathOf("pass"), "upstream pass");
        await _skopeo.RunOkAsync("generate-sigstore-key", "--output-prefix", _skopeo.PathOf("upstream"), "--passphrase-file", _skopeo.PathOf("pass"));
        await _skopeo.RunOkAsync("generate-sigstore-key", "--output-prefix", _skopeo.PathOf("other"), "--passphrase-file", _skopeo.PathOf("pass"));
        Directory.CreateDirectory(_skopeo.PathOf("registries.d"));
        await File.WriteAllTextAsync(_skopeo.PathOf("registries.d/test.yaml"), $"docker:\n  {TestServices.Registry}:\n    use-sigstore-attachments: true\n");

        await File.WriteAllTextAsync(AttesterPublicKey, _attesterKey.ExportSubjectPublicKeyInfoPem());
        // The report has a HIGH and a LOW finding; warn and block only at CRITICAL, so the findings alone pass.
        await _host.StartAsync(new PipelineHostOptions
        {
            Policy = $$"""
                version: 1
                defaults:
                  warn: { severity: CRITICAL }
                projects:
                  - match: { repository: "keyless*" }
                    require:
                      signatures:
                        - keyless: { issuer: "{{Issuer}}", subject: "{{Workflow}}", trustedRoot: "{{mock.TrustedRoot}}" }
                  - match: { repository: "slsa*" }
                    require:
                      attestations:
                        - predicateType: https://slsa.dev/provenance/v1
                          keyless: { issuer: "{{Issuer}}", subjectRegex: "https://github\\.com/acme/app/.+", trustedRoot: "{{mock.TrustedRoot}}" }
                          builderId: "{{Builder}}"
                          sourceRepository: https://github.com/acme/app
                  - match: { repository: "provkey*" }
                    require:
                      attestations:
                        - predicateType: https://slsa.dev/provenance/v0.2
                          key: attester.pub
                          builderId: "{{InternalBuilder}}"
                          sourceRepository: "{{InternalSource}}"
                  - match: { repository: "warned*" }
                    require:
                      action: warn
                      signatures:
                        - key: upstream.pub
                  - match: { repository: "*" }
                    require:
                      signatures:
                        - key: upstream.pub
                """,
            Reports = new[] { "signed", "unsigned", "otherkey", "warned", "keyless-right", "keyless-wrong", "slsa-wrong", "provkey-right", "provkey-wrong", "slsa-att-right", "slsa-att-other", "slsa-att-edited" }
                .ToDictionary(repository => repository, _ => ReportFile, StringComparer.Ordinal),
            Sign = true,
            Patience = Patience,
        });
        _signed = await _host.ObserveAsync<ArtifactSigned>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _attesterKey.Dispose();
    }

    [Fact]
    public async Task SignedUpstreamWithRequiredKey_ApprovedAndCoSigned()
    {
        var digest = await PushAsync("signed", signWith: "upstream");

        var decision = await DecisionAsync("signed", digest);

        Assert.Equal("Pass", decision.Verdict);
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(digest) > 0), Patience), "the approved image was not co-signed");
        // Two layers in the .sig: skopeo's (verifies with the upstream key only) and ours (with our key only).
        using var ours = ECDsa.Create(_host.SigningKey!.ExportParameters(false));
        using var upstream = SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(UpstreamPublicKey));
        var verifier = new RegistrySignatureVerifier(_host.Session.Registry);
        var byUs = await verifier.VerifyAsync(_host.Session.Repository("signed"), digest, null, [ours], TestServices.Timeout());
        var byUpstream = await verifier.VerifyAsync(_host.Session.Repository("signed"), digest, null, [upstream], TestServices.Timeout());
        Assert.Single(byUs!.Result.Verified);
        Assert.Single(byUpstream!.Result.Verified);
        Assert.NotEqual(byUs.Result.Verified[0].LayerIndex, byUpstream.Result.Verified[0].LayerIndex);
        Assert.Contains("require.signatures[0]", decision.DecisionJson, StringComparison.Ordinal);
        Assert.Contains("\"met\": true", decision.DecisionJson, StringComparison.Ordinal);

        // Our decision attestation records the upstream signature it verified (checked with our key, read from the .att).
        var attached = await verifier.ReadAttachedAsync(_host.Session.Repository("signed"), digest, TestServices.Timeout());
        AssertDecisionAttestationRecords(attached, digest, "require.signatures[0]",
            $"signature (.sig layer {byUpstream.Result.Verified[0].LayerIndex}) by key {UpstreamPublicKey}");
    }

    [Fact]
    public async Task Unsigned_BlockedWithExplanation_NotSigned()
    {
        var digest = await PushAsync("unsigned", signWith: null);

        var decision = await DecisionAsync("unsigned", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains($"require.signatures[0]: expected a signature by key {UpstreamPublicKey}; found no signatures or attestations attached", decision.Reason,
            StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, SignedCount(digest));
    }

    [Fact]
    public async Task SignedByAnotherKey_BlockedNamingTheRejectedSignature()
    {
        var digest = await PushAsync("otherkey", signWith: "other");

        var decision = await DecisionAsync("otherkey", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains($"require.signatures[0]: expected a signature by key {UpstreamPublicKey}; found .sig layer 0: ", decision.Reason, StringComparison.Ordinal);
        Assert.Contains($"(key {UpstreamPublicKey})", decision.Reason, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, SignedCount(digest));
    }

    [Fact]
    public async Task UnsignedUnderWarnAction_WarnedWithExplanationAndSigned()
    {
        var digest = await PushAsync("warned", signWith: null);

        var decision = await DecisionAsync("warned", digest);

        Assert.Equal("Warn", decision.Verdict);
        Assert.Contains($"require.signatures[0]: expected a signature by key {UpstreamPublicKey}; found no signatures or attestations attached", decision.Reason,
            StringComparison.Ordinal);
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(digest) > 0), Patience), "the warned image was not signed");
    }

    [Fact]
    public async Task KeylessBundleWithRequiredIdentity_ApprovedAndCoSigned()
    {
        var digest = await PushWithBundleAsync("keyless-right", Workflow, CosignSign, """{}""");

        var decision = await DecisionAsync("keyless-right", digest);

        Assert.True(decision.Verdict == "Pass", decision.Reason);
        Assert.Contains($"by '{Workflow}' from '{Issuer}'", decision.DecisionJson, StringComparison.Ordinal);
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(digest) > 0), Patience), "the approved image was not co-signed");
    }

    [Fact]
    public async Task KeylessBundleWithAnotherIdentity_BlockedNamingTheIdentityFound()
    {
        const string other = "https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main";
        var digest = await PushWithBundleAsync("keyless-wrong", other, CosignSign, """{}""");

        var decision = await DecisionAsync("keyless-wrong", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains($"expected a signature by keyless identity '{Workflow}' from issuer '{Issuer}'; found signature (bundle referrer sha256:", decision.Reason,
            StringComparison.Ordinal);
        Assert.Contains($"by '{other}' from '{Issuer}'", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlsaProvenanceFromAnotherBuilder_FailsTheAttestationRequirement()
    {
        const string otherBuilder = "https://ci.example.com/untrusted-runner";
        var digest = await PushWithBundleAsync("slsa-wrong", Workflow, "https://slsa.dev/provenance/v1", $$"""
            {"buildDefinition":{"buildType":"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
              "externalParameters":{"workflow":{"ref":"refs/heads/main","repository":"https://github.com/acme/app","path":".github/workflows/release.yml"} } },
             "runDetails":{"builder":{"id":"{{otherBuilder}}"} } }
            """);

        var decision = await DecisionAsync("slsa-wrong", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains("require.attestations[0]: expected a https://slsa.dev/provenance/v1 attestation signed by keyless identity matching", decision.Reason,
            StringComparison.Ordinal);
        Assert.Contains($"builder id is '{otherBuilder}', not '{Builder}'", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LegacyAttKeySignedProvenanceFromTheRequiredBuilder_ApprovedAndCoSignedKeepingIt()
    {
        var digest = await PushWithLegacyAttestationAsync("provkey-right", InternalBuilder);

        var decision = await DecisionAsync("provkey-right", digest);

        Assert.True(decision.Verdict == "Pass", decision.Reason);
        Assert.Contains($"https://slsa.dev/provenance/v0.2 attestation (.att layer 0) by key {AttesterPublicKey}", decision.DecisionJson, StringComparison.Ordinal);
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(digest) > 0), Patience), "the approved image was not co-signed");

        // Co-signing added our attestations to the .att tag and kept the upstream one; our decision attestation names it.
        var attached = await new RegistrySignatureVerifier(_host.Session.Registry).ReadAttachedAsync(_host.Session.Repository("provkey-right"), digest, TestServices.Timeout());
        var (byUpstream, _) = HarborBridge.Signing.Verification.AttestationVerifier.Verify(digest, [_attesterKey], attached.Attestations);
        Assert.Equal("https://slsa.dev/provenance/v0.2", Assert.Single(byUpstream).PredicateType);
        AssertDecisionAttestationRecords(attached, digest, "require.attestations[0]",
            $"https://slsa.dev/provenance/v0.2 attestation (.att layer 0) by key {AttesterPublicKey}");
    }

    // Our decision attestation (checked with our key, read from the .att) records the one upstream item that met `requirement`.
    private void AssertDecisionAttestationRecords(AttachedSignatures attached, string digest, string requirement, string verified)
    {
        using var ours = ECDsa.Create(_host.SigningKey!.ExportParameters(false));
        var (attestations, _) = HarborBridge.Signing.Verification.AttestationVerifier.Verify(digest, [ours], attached.Attestations);
        var statement = System.Text.Json.Nodes.JsonNode.Parse(attestations.Single(a => a.PredicateType == "https://harborbridge.dev/decision/v1").Statement)!;
        var upstreamVerified = Assert.Single(statement["predicate"]!["upstreamVerified"]!.AsArray())!;
        Assert.Equal(requirement, upstreamVerified["requirement"]!.GetValue<string>());
        Assert.Equal(verified, Assert.Single(upstreamVerified["verified"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task LegacyAttKeySignedProvenanceFromAnotherBuilder_BlockedNamingTheBuilderFound()
    {
        const string otherBuilder = "https://ci.acme.example/builders/someones-laptop";
        var digest = await PushWithLegacyAttestationAsync("provkey-wrong", otherBuilder);

        var decision = await DecisionAsync("provkey-wrong", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains($"require.attestations[0]: expected a https://slsa.dev/provenance/v0.2 attestation signed by key {AttesterPublicKey}, " +
            $"builder id '{InternalBuilder}'", decision.Reason, StringComparison.Ordinal);
        Assert.Contains($"found https://slsa.dev/provenance/v0.2 attestation (.att layer 0) by key {AttesterPublicKey}: builder id is '{otherBuilder}', not '{InternalBuilder}'",
            decision.Reason, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, SignedCount(digest));
    }

    [Fact]
    public async Task LegacyAttKeylessProvenanceByTheRequiredIdentityAndBuilder_ApprovedAndCoSigned()
    {
        var digest = await PushWithLegacyKeylessAttestationAsync("slsa-att-right", Workflow, Builder);

        var decision = await DecisionAsync("slsa-att-right", digest);

        Assert.True(decision.Verdict == "Pass", decision.Reason);
        Assert.Contains($"https://slsa.dev/provenance/v1 attestation (.att layer 0) by '{Workflow}' from '{Issuer}'", decision.DecisionJson, StringComparison.Ordinal);
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(digest) > 0), Patience), "the approved image was not co-signed");
    }

    [Fact]
    public async Task LegacyAttKeylessProvenanceByAnotherIdentity_BlockedNamingTheIdentityFound()
    {
        const string other = "https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main";
        var digest = await PushWithLegacyKeylessAttestationAsync("slsa-att-other", other, Builder);

        var decision = await DecisionAsync("slsa-att-other", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains($"found https://slsa.dev/provenance/v1 attestation (.att layer 0) by '{other}' from '{Issuer}'", decision.Reason, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, SignedCount(digest));
    }

    [Fact]
    public async Task LegacyAttKeylessProvenanceWithEditedRekorTime_BlockedAsNotVerified()
    {
        var digest = await PushWithLegacyKeylessAttestationAsync("slsa-att-edited", Workflow, Builder, moveIntegratedTime: true);

        var decision = await DecisionAsync("slsa-att-edited", digest);

        Assert.Equal("Block", decision.Verdict);
        Assert.Contains($"found .att layer 0: transparency log entry ", decision.Reason, StringComparison.Ordinal);
        Assert.Contains($"(trusted root {mock.TrustedRoot})", decision.Reason, StringComparison.Ordinal);
    }

    private const string CosignSign = "https://sigstore.dev/cosign/sign/v1";

    // A new image with a SLSA v0.2 provenance (what `cosign attest --type slsaprovenance --key` makes) from `builder`, built
    // from InternalSource, attached as a legacy .att layer signed with the attester key. Written here by hand, byte for byte
    // in cosign's layout (shared/reference/notes/cosign.md §4 and §6), with the BCL's ECDSA: no HarborBridge signing code.
    private Task<string> PushWithLegacyAttestationAsync(string repository, string builder) => PushUpstreamAsync(repository, async (registry, target, digest) =>
    {
        var statement = Encoding.UTF8.GetBytes($$"""
            {"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2",
             "subject":[{"name":"{{TestServices.Registry}}/{{_host.Session.Project}}/{{repository}}","digest":{"sha256":"{{digest["sha256:".Length..]}}"} }],
             "predicate":{"builder":{"id":"{{builder}}"},"buildType":"https://ci.acme.example/build/v1",
              "invocation":{"configSource":{"uri":"git+{{InternalSource}}@refs/heads/main","digest":{"sha1":"5c2d7e0f"},"entryPoint":"release"} } } }
            """);
        const string payloadType = "application/vnd.in-toto+json";
        // DSSE PAE: "DSSEv1" SP len(type) SP type SP len(payload) SP payload; cosign signs it ECDSA/SHA-256, ASN.1 DER.
        var pae = Encoding.UTF8.GetBytes($"DSSEv1 {payloadType.Length} {payloadType} {statement.Length} ").Concat(statement).ToArray();
        var signature = _attesterKey.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var envelope = Encoding.UTF8.GetBytes(
            $$"""{"payloadType":"{{payloadType}}","payload":"{{Convert.ToBase64String(statement)}}","signatures":[{"keyid":"","sig":"{{Convert.ToBase64String(signature)}}"}]}""");
        var annotations = new System.Text.Json.Nodes.JsonObject
        {
            ["dev.cosignproject.cosign/signature"] = "",
            ["predicateType"] = "https://slsa.dev/provenance/v0.2",
        };
        await PutAttestationLayerAsync(registry, target, digest, envelope, annotations);
    });

    // A new image with a keyless SLSA v1 provenance from `builder` signed for `subject` (mock Fulcio and Rekor), attached as
    // cosign v1/v2 `attest` stores it keyless: a legacy .att layer with certificate, chain and Rekor bundle annotations
    // (made by tests/tools/sigstore-keyless-bundle.js, not our code).
    // `moveIntegratedTime` edits the Rekor integrated time in the bundle annotation by one second after signing.
    private Task<string> PushWithLegacyKeylessAttestationAsync(string repository, string subject, string builder, bool moveIntegratedTime = false) =>
        PushUpstreamAsync(repository, async (registry, target, digest) =>
        {
            var statement = KeylessBundleReferrers.Statement($"{TestServices.Registry}/{_host.Session.Project}/{repository}", digest, "https://slsa.dev/provenance/v1", $$"""
                {"buildDefinition":{"buildType":"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                  "externalParameters":{"workflow":{"ref":"refs/heads/main","repository":"https://github.com/acme/app","path":".github/workflows/release.yml"} } },
                 "runDetails":{"builder":{"id":"{{builder}}"} } }
                """);
            var layerFile = Path.Combine(_host.Folder, Guid.NewGuid().ToString("N") + ".layer.json");
            await KeylessBundleReferrers.MakeAsync(mock, _host.Folder, Issuer, subject, statement, layerFile);
            var layer = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(layerFile))!;
            if (moveIntegratedTime)
            {
                var rekor = System.Text.Json.Nodes.JsonNode.Parse(layer["annotations"]!["dev.sigstore.cosign/bundle"]!.GetValue<string>())!;
                rekor["Payload"]!["integratedTime"] = rekor["Payload"]!["integratedTime"]!.GetValue<long>() + 1;
                layer["annotations"]!["dev.sigstore.cosign/bundle"] = rekor.ToJsonString();
            }

            await PutAttestationLayerAsync(registry, target, digest, Encoding.UTF8.GetBytes(layer["blob"]!.GetValue<string>()),
                layer["annotations"]!.AsObject().DeepClone().AsObject());
        });

    // The .att manifest cosign writes for one attestation (shared/reference/notes/cosign.md §4, §6): an image config listing
    // the layer, one application/vnd.dsse.envelope.v1+json layer holding the envelope, with the given annotations.
    private static async Task PutAttestationLayerAsync(HarborBridge.Harbor.Oci.IOciRegistryClient registry, HarborBridge.Harbor.Oci.OciRepository target,
        string digest, byte[] envelope, System.Text.Json.Nodes.JsonObject annotations)
    {
        var envelopeDigest = Sha256Digest(envelope);
        var config = Encoding.UTF8.GetBytes(
            $$"""{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":["{{envelopeDigest}}"]} }""");
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":{{config.Length}},"digest":"{{Sha256Digest(config)}}"},
             "layers":[{"mediaType":"application/vnd.dsse.envelope.v1+json","size":{{envelope.Length}},"digest":"{{envelopeDigest}}",
               "annotations":{{annotations.ToJsonString()}} }]}
            """);
        await registry.PushBlobAsync(target, envelope, null, TestServices.Timeout());
        await registry.PushBlobAsync(target, config, null, TestServices.Timeout());
        await registry.PutManifestAsync(target, "sha256-" + digest["sha256:".Length..] + ".att", manifest, "application/vnd.oci.image.manifest.v1+json", null,
            TestServices.Timeout());
    }

    private static string Sha256Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    // A new image in the registry with a keyless bundle over a statement about it (signed for `subject` by the mock
    // Fulcio, logged in the mock Rekor) attached as an OCI referrer, straight to the registry; then announced through the simulator.
    private Task<string> PushWithBundleAsync(string repository, string subject, string predicateType, string predicateJson) =>
        PushUpstreamAsync(repository, async (registry, target, digest) =>
        {
            var statement = KeylessBundleReferrers.Statement($"{TestServices.Registry}/{_host.Session.Project}/{repository}", digest, predicateType, predicateJson);
            var bundle = await KeylessBundleReferrers.MakeAsync(mock, _host.Folder, Issuer, subject, statement);
            await KeylessBundleReferrers.AttachAsync(registry, target, bundle, predicateType, digest);
        });

    // A new image copied straight to the registry, `attach` run on it there (registry client, repository, image digest),
    // so what it attaches is there before Harbor knows the image; then pushed through the simulator, which announces it.
    private async Task<string> PushUpstreamAsync(string repository, Func<HarborBridge.Harbor.Oci.IOciRegistryClient, HarborBridge.Harbor.Oci.OciRepository, string, Task> attach)
    {
        var image = OciLayoutImage.Create(Path.Combine(_host.Folder, Guid.NewGuid().ToString("N")));
        var (exit, output) = await TestServices.SkopeoAsync(_host.Folder, TestServices.Timeout(120), "copy", "--preserve-digests", "--dest-tls-verify=false",
            $"oci:{image.Directory}:latest", $"docker://{TestServices.Registry}/{_host.Session.Project}/{repository}:upstream");
        Assert.True(exit == 0, $"skopeo copy failed: {output}");

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = $"http://{TestServices.Registry}/",
        }).Build();
        await using (var services = new ServiceCollection().AddLogging().AddHarborClients(configuration).BuildServiceProvider())
        {
            var registry = services.GetRequiredService<HarborBridge.Harbor.Oci.IOciRegistryClient>();
            await attach(registry, HarborBridge.Harbor.Oci.OciRepository.Parse($"{TestServices.Registry}/{_host.Session.Project}/{repository}", plainHttp: true),
                image.ManifestDigest);
        }

        await image.PushAsync($"{_host.Session.Simulator.RegistryHost}/{_host.Session.Project}/{repository}:v1", _host.Folder, TestServices.Timeout(120));
        return image.ManifestDigest;
    }

    // Pushes a new image: first (when signing) by skopeo straight to the registry with its sigstore signature, so the
    // signature is attached before Harbor knows the image; then through the simulator, which announces it.
    private async Task<string> PushAsync(string repository, string? signWith)
    {
        var image = OciLayoutImage.Create(Path.Combine(_host.Folder, Guid.NewGuid().ToString("N")));
        if (signWith is not null)
        {
            var (exit, output) = await TestServices.SkopeoAsync(_host.Folder, TestServices.Timeout(120),
                "--registries.d", _skopeo.PathOf("registries.d"), "copy", "--preserve-digests", "--dest-tls-verify=false",
                "--sign-by-sigstore-private-key", _skopeo.PathOf(signWith + ".private"), "--sign-passphrase-file", _skopeo.PathOf("pass"),
                $"oci:{image.Directory}:latest", $"docker://{TestServices.Registry}/{_host.Session.Project}/{repository}:upstream");
            Assert.True(exit == 0, $"skopeo signed copy failed: {output}");
        }

        await image.PushAsync($"{_host.Session.Simulator.RegistryHost}/{_host.Session.Project}/{repository}:v1", _host.Folder, TestServices.Timeout(120));
        return image.ManifestDigest;
    }

    private async Task<DecisionRecord> DecisionAsync(string repository, string digest)
    {
        var store = _host.Decisions;
        DecisionRecord? decision = null;
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (decision = (await store.GetDecisionsAsync(digest, default)).FirstOrDefault(d => d.Artifact.Repository == repository)) is not null, Patience),
            $"{repository}@{digest} was not decided within {Patience}");
        return decision!;
    }

    private int SignedCount(string digest) => _signed.Snapshot().Count(s => s.Artifact.Digest == digest);
}
