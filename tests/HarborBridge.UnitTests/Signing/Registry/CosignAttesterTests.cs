using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Registry;

namespace HarborBridge.UnitTests.Signing.Registry;

public sealed class CosignAttesterTests
{
    private const string Image = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";
    private const string Tag = "sha256-b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e.att";
    private const string DecisionType = "https://harborbridge.dev/decision/v1";
    private static readonly OciRepository Repo = new(new Uri("https://harbor.example.com/"), "team/app");

    [Fact]
    public async Task AttestAsync_First_StoresDsseLayerWhoseEnvelopeVerifiesOverPae()
    {
        var registry = new InMemoryRegistry();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var statement = Statement("pass");

        var outcome = await new CosignAttester(registry, TimeProvider.System).AttestAsync(Repo, statement, key, CancellationToken.None);

        Assert.True(outcome.Added);
        using var manifest = JsonDocument.Parse(registry.Manifest(Tag)!);
        var layer = manifest.RootElement.GetProperty("layers").EnumerateArray().Single();
        Assert.Equal("application/vnd.dsse.envelope.v1+json", layer.GetProperty("mediaType").GetString());
        Assert.Equal(DecisionType, layer.GetProperty("annotations").GetProperty("predicateType").GetString());
        using var envelope = JsonDocument.Parse(registry.Blob(layer.GetProperty("digest").GetString()!));
        var payloadType = envelope.RootElement.GetProperty("payloadType").GetString()!;
        var payload = Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!);
        var signature = Convert.FromBase64String(envelope.RootElement.GetProperty("signatures")[0].GetProperty("sig").GetString()!);
        // PAE built by hand: "DSSEv1" SP len(type) SP type SP len(body) SP body.
        var pae = Encoding.UTF8.GetBytes($"DSSEv1 {payloadType.Length} {payloadType} {payload.Length} ").Concat(payload).ToArray();
        Assert.True(key.VerifyData(pae, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        using var parsed = JsonDocument.Parse(payload);
        Assert.Equal(Image["sha256:".Length..], parsed.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal("pass", parsed.RootElement.GetProperty("predicate").GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task AttestAsync_SameStatementTwice_OneLayer_NewerDecision_ReplacesOurs()
    {
        var registry = new InMemoryRegistry();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attester = new CosignAttester(registry, TimeProvider.System);

        await attester.AttestAsync(Repo, Statement("pass"), key, CancellationToken.None);
        var again = await attester.AttestAsync(Repo, Statement("pass"), key, CancellationToken.None);
        Assert.False(again.Added);
        Assert.Equal(["pass"], Verdicts(registry));

        var other = await attester.AttestAsync(Repo, Statement("warn"), key, CancellationToken.None);
        Assert.True(other.Added);
        Assert.Equal(["warn"], Verdicts(registry));
    }

    [Fact]
    public async Task AttestAsync_OtherSignersLayer_KeptWhenOursIsReplaced()
    {
        var registry = new InMemoryRegistry();
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var theirs = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attester = new CosignAttester(registry, TimeProvider.System);

        await attester.AttestAsync(Repo, Statement("theirs"), theirs, CancellationToken.None);
        await attester.AttestAsync(Repo, Statement("pass"), ours, CancellationToken.None);
        await attester.AttestAsync(Repo, Statement("warn"), ours, CancellationToken.None);

        Assert.Equal(["theirs", "warn"], Verdicts(registry));
    }

    [Fact]
    public async Task AttestAsync_VulnAndDecision_OneManifestWriteOneLayerEach_RedeliveryAddsNothing()
    {
        var registry = new InMemoryRegistry();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attester = new CosignAttester(registry, TimeProvider.System);
        var vuln = new InTotoStatement("harbor.example.com/team/app", Image, VulnType, new JsonObject { ["scanner"] = new JsonObject { ["version"] = "v0.65.0" } });
        var puts = 0;
        registry.AfterPut = _ => puts++;

        // A repository that already has the shared config (another image attested in it); the first one pays for it once.
        var repository = new OciRepository(new Uri("https://harbor.example.com/"), "team/app-" + Guid.NewGuid().ToString("N"));
        var other = new InTotoStatement(repository.ToString(), "sha256:" + new string('e', 64), DecisionType, new JsonObject { ["verdict"] = "pass" });
        await attester.AttestAsync(repository, [other], key, CancellationToken.None);
        var before = registry.RoundTrips;
        puts = 0;

        var first = await attester.AttestAsync(repository, [vuln, Statement("pass")], key, CancellationToken.None);
        var firstRoundTrips = registry.RoundTrips - before;
        var second = await attester.AttestAsync(repository, [vuln, Statement("pass")], key, CancellationToken.None);

        Assert.True(first.Added);
        Assert.False(second.Added);
        Assert.Equal(1, puts);
        // GET tag (404), POST + PUT per envelope (2 × 2), PUT manifest (the config is there); verified from the bytes written.
        Assert.Equal(1 + 4 + 1, firstRoundTrips);
        // Again: GET tag and the two envelopes it names, nothing written.
        Assert.Equal(3, registry.RoundTrips - before - firstRoundTrips);
        Assert.Equal([VulnType, DecisionType], PredicateTypes(registry));
        Assert.Equal([VulnType, DecisionType], first.Verified.Select(v => v.PredicateType));
    }

    private const string VulnType = "https://cosign.sigstore.dev/attestation/vuln/v1";

    private static List<string?> PredicateTypes(InMemoryRegistry registry)
    {
        using var manifest = JsonDocument.Parse(registry.Manifest(Tag)!);
        return manifest.RootElement.GetProperty("layers").EnumerateArray()
            .Select(l => l.GetProperty("annotations").GetProperty("predicateType").GetString()).ToList();
    }

    // The verdict in each layer's statement, in layer order (read from the stored blobs).
    private static List<string?> Verdicts(InMemoryRegistry registry)
    {
        using var manifest = JsonDocument.Parse(registry.Manifest(Tag)!);
        return manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l =>
        {
            using var envelope = JsonDocument.Parse(registry.Blob(l.GetProperty("digest").GetString()!));
            using var statement = JsonDocument.Parse(Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!));
            return statement.RootElement.GetProperty("predicate").GetProperty("verdict").GetString();
        }).ToList();
    }

    private static InTotoStatement Statement(string verdict) =>
        new("harbor.example.com/team/app", Image, DecisionType, new JsonObject { ["policyVersion"] = "policy-7", ["verdict"] = verdict });
}
