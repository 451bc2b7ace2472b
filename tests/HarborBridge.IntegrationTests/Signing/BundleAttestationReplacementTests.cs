using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>Counts the requests that change the registry (anything but GET and HEAD: PUT, POST, PATCH, DELETE).</summary>
internal sealed class WriteCountingHandler(RoundTripCounter writes) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head)
        {
            writes.Increment();
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// <c>Format: bundle</c> against the real docker-registry (no referrers API, so the <c>sha256-&lt;hex&gt;</c> fallback index):
/// a newer decision replaces our earlier decision and vulnerability attestation referrers, another signer's referrer stays
/// byte for byte, a redelivered decision writes nothing, and @sigstore/verify accepts the remaining bundle.
/// </summary>
public sealed class BundleAttestationReplacementTests : IClassFixture<RegistrySigningFixture>, IDisposable
{
    private const string DecisionType = "https://harborbridge.dev/decision/v1";
    private const string VulnType = "https://cosign.sigstore.dev/attestation/vuln/v1";
    private const string SignType = "https://sigstore.dev/cosign/sign/v1";
    private static readonly DateTimeOffset DecidedA = new(2026, 11, 27, 19, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DecidedB = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    private readonly RegistrySigningFixture _fixture;
    private readonly RoundTripCounter _writes = new();
    private readonly ServiceProvider _services;
    private readonly IOciRegistryClient _client;

    public BundleAttestationReplacementTests(RegistrySigningFixture fixture)
    {
        _fixture = fixture;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = $"http://{fixture.Registry}/",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddHarborClients(configuration);
        services.AddHttpClient("oci-registry").AddHttpMessageHandler(() => new WriteCountingHandler(_writes));
        _services = services.BuildServiceProvider();
        _client = _services.GetRequiredService<IOciRegistryClient>();
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task SignAsync_NewerDecision_ReplacesOurDecisionAndVulnReferrersOnly()
    {
        var (name, digest, artifact) = await _fixture.NewImageAsync("replace");
        var repository = _fixture.Repository(name);
        // Another signer's decision-type attestation, written before ours.
        var foreign = new InTotoStatement(repository.ToString(), digest, DecisionType, new JsonObject { ["policyVersion"] = "theirs" });
        var theirs = await new BundleReferrerSigner(_client, TimeProvider.System).AttachAsync(repository, foreign, _fixture.SecondKey, TestServices.Timeout());
        var theirEntryBefore = IndexEntries(await IndexAsync(name, digest)).Single(e => e.Digest == theirs.ManifestDigest).Raw;
        var signer = Signer();

        await signer.SignAsync(artifact, DecisionA(), TestServices.Timeout());
        var afterA = await OurReferrersAsync(name, digest);
        var signedB = await signer.SignAsync(artifact, DecisionB(), TestServices.Timeout());

        var index = await IndexAsync(name, digest);
        var entries = IndexEntries(index);
        // Ours: one plain signature, one vuln, one decision attestation; plus the other signer's one.
        Assert.Equal(4, entries.Count);
        Assert.Equal(theirEntryBefore, entries.Single(e => e.Digest == theirs.ManifestDigest).Raw);
        var ours = await OurReferrersAsync(name, digest);
        Assert.Equal([VulnType, DecisionType, SignType], ours.Select(o => o.PredicateType).Order(StringComparer.Ordinal));
        var decision = ours.Single(o => o.PredicateType == DecisionType).Statement["predicate"]!;
        Assert.Equal("policy-8", (string?)decision["policyVersion"]);
        Assert.Equal("sha256:" + new string('8', 64), (string?)decision["reportDigest"]);
        var vuln = ours.Single(o => o.PredicateType == VulnType).Statement["predicate"]!;
        Assert.Equal("CVE-B", (string?)vuln["scanner"]!["result"]!["marker"]);
        // Added is about the signature: the plain signature from A was kept, not written again.
        Assert.False(signedB.Added);

        // The plain signature stayed; A's decision and vuln referrer manifests are gone from the registry.
        Assert.Equal(afterA.Single(o => o.PredicateType == SignType).Digest, ours.Single(o => o.PredicateType == SignType).Digest);
        foreach (var gone in afterA.Where(o => o.PredicateType != SignType))
        {
            Assert.Null(await _client.GetManifestAsync(repository, gone.Digest, TestServices.Timeout()));
        }

        // The other signer's bundle still verifies with its key.
        Assert.NotNull(await _client.GetManifestAsync(repository, theirs.ManifestDigest, TestServices.Timeout()));

        // @sigstore/verify accepts the remaining decision bundle with our public key.
        var remaining = ours.Single(o => o.PredicateType == DecisionType);
        var (code, output) = await SigstoreVerifyAsync(remaining.Bundle, digest);
        Assert.True(code == 0, output);
        Assert.Contains("VERIFIED predicateType=" + DecisionType, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_SameDecisionRedelivered_WritesNothing()
    {
        var (name, digest, artifact) = await _fixture.NewImageAsync("redeliver");
        var signer = Signer();
        await signer.SignAsync(artifact, DecisionA(), TestServices.Timeout());
        await signer.SignAsync(artifact, DecisionB(), TestServices.Timeout());
        var indexBefore = await IndexAsync(name, digest);

        _writes.Reset();
        var again = await signer.SignAsync(artifact, DecisionB(), TestServices.Timeout());

        Assert.Equal(0, _writes.Count);
        Assert.False(again.Added);
        var indexAfter = await IndexAsync(name, digest);
        Assert.Equal(indexBefore.Descriptor.Digest, indexAfter.Descriptor.Digest);
        Assert.Equal(3, IndexEntries(indexAfter).Count);
    }

    private static SigningDecision DecisionA() => new("d-a", "pass", "policy-7", "sha256:" + new string('7', 64), DecidedA, Scan: Scan("CVE-A", DecidedA));

    private static SigningDecision DecisionB() => new("d-b", "pass", "policy-8", "sha256:" + new string('8', 64), DecidedB, Scan: Scan("CVE-B", DecidedB));

    private static ScanEvidence Scan(string marker, DateTimeOffset at) =>
        new("Trivy", "Aqua Security", "v0.65.0", "application/vnd.security.vulnerability.report; version=1.1",
            $"{{\"marker\":\"{marker}\"}}", "harbor", at.AddMinutes(-2), at.AddMinutes(-1));

    private RegistryArtifactSigner Signer()
    {
        var (signing, harbor) = _fixture.ServiceOptions(SignatureFormat.Bundle, attest: true);
        return new RegistryArtifactSigner(_client, harbor, signing, new SigningKeyProvider(signing), TimeProvider.System);
    }

    private async Task<OciManifest> IndexAsync(string name, string digest)
    {
        var index = await _client.GetManifestAsync(_fixture.Repository(name), RegistrySigningFixture.Tag(digest, ""), TestServices.Timeout());
        Assert.NotNull(index);
        return index;
    }

    private static List<(string Digest, string Raw)> IndexEntries(OciManifest index)
    {
        using var document = JsonDocument.Parse(index.Content);
        return document.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(e => (e.GetProperty("digest").GetString()!, e.GetRawText())).ToList();
    }

    // Reads each index entry's manifest and bundle layer; keeps those whose DSSE signature verifies with our public key
    // (checked here with ECDSA over the DSSE pre-authentication encoding, not with the code under test).
    private async Task<List<(string Digest, string PredicateType, JsonNode Statement, byte[] Bundle)>> OurReferrersAsync(string name, string digest)
    {
        var repository = _fixture.Repository(name);
        using var publicKey = ECDsa.Create(_fixture.OurKey.ExportParameters(false));
        var ours = new List<(string, string, JsonNode, byte[])>();
        foreach (var (entry, _) in IndexEntries(await IndexAsync(name, digest)))
        {
            var manifest = await _client.GetManifestAsync(repository, entry, TestServices.Timeout());
            Assert.NotNull(manifest);
            var layer = (string)JsonNode.Parse(manifest.Content)!["layers"]![0]!["digest"]!;
            var bundle = await _client.GetBlobAsync(repository, layer, TestServices.Timeout());
            var envelope = JsonNode.Parse(bundle)!["dsseEnvelope"]!;
            var payload = Convert.FromBase64String((string)envelope["payload"]!);
            var signature = Convert.FromBase64String((string)envelope["signatures"]![0]!["sig"]!);
            var type = (string)envelope["payloadType"]!;
            var pae = System.Text.Encoding.UTF8.GetBytes($"DSSEv1 {System.Text.Encoding.UTF8.GetByteCount(type)} {type} {payload.Length} ")
                .Concat(payload).ToArray();
            if (publicKey.VerifyData(pae, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                var statement = JsonNode.Parse(payload)!;
                ours.Add((entry, (string)statement["predicateType"]!, statement, bundle));
            }
        }

        return ours;
    }

    private async Task<(int Code, string Output)> SigstoreVerifyAsync(byte[] bundle, string digest)
    {
        var nodeModules = Infrastructure.TestEnvironment.Require("HB_TEST_SIGSTORE_JS");
        var script = Path.Combine(Infrastructure.TestEnvironment.Require("HB_TEST_TOOLS"), "sigstore-verify-bundle.js");
        var work = Path.Combine(_fixture.WorkDirectory, "sigstore-js-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        await File.WriteAllBytesAsync(Path.Combine(work, "bundle.sigstore.json"), bundle);
        await File.WriteAllTextAsync(Path.Combine(work, "our.pub"), SigningKeyFiles.WritePublicKey(_fixture.OurKey));
        return await ToolProcess.RunAsync("node", [script, Path.Combine(work, "bundle.sigstore.json"), Path.Combine(work, "our.pub"), digest], work,
            new Dictionary<string, string> { ["NODE_PATH"] = nodeModules });
    }
}
