using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.Signing.Keys;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// The whole pipeline (Harbor simulator in front of the real docker-registry, real RabbitMQ and PostgreSQL, a signing
/// key): a pushed image is scanned with a fixture report, approved thanks to a policy exception, signed and attested.
/// Its <c>.att</c> is read straight from the registry and checked by hand, without HarborBridge's verifier: one cosign
/// <c>vuln</c> and one decision attestation, each a DSSE envelope whose signature over the PAE verifies with the public
/// key, with the fixture report's contents and the exception; a redelivered scan event adds nothing. The same pipeline also
/// bounds the requests per signed artifact, counted where they arrive (the simulator logs every API, registry and token
/// request it serves; registry requests are forwarded to the real docker-registry).
/// </summary>
public sealed class PipelineAttestationTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string VulnType = "https://cosign.sigstore.dev/attestation/vuln/v1";
    private const string DecisionType = "https://harborbridge.dev/decision/v1";
    private const string ReportMime = "application/vnd.security.vulnerability.report; version=1.1";
    private const string ExceptionId = "CVE-2013-7445";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // Read by hand: one Low (CVE-2019-18276, bash) and one High (CVE-2013-7445, linux). With block at HIGH, the
    // exception for the High one is what lets the image pass.
    private static readonly string ReportFile = TestEnvironment.FixturePath("policy", "harbor", "vulnerabilities_addition.response.json");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-attest-" + Guid.NewGuid().ToString("N"));
    private readonly ECDsa _key = SigningKeyFiles.Generate();
    private readonly List<ArtifactSigned> _signed = [];
    private PostgresDatabase _database = null!;
    private SimulatorSession _session = null!;
    private HarborBridgeFactory? _factory;
    private HostReceiveEndpointHandle? _probe;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var policyFile = Path.Combine(_directory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, $"""
            version: 1
            defaults:
              block: {"{"} severity: HIGH {"}"}
            exceptions:
              - id: {ExceptionId}
                expires: 2099-12-31
                reason: "the kernel package is not used in containers"
            """);
        var keyFile = Path.Combine(_directory, "cosign.key");
        await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(_key, Encoding.UTF8.GetBytes("attest-pw")));

        var project = "att" + Guid.NewGuid().ToString("N")[..8];
        _session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            Reports = { [$"{project}/app"] = ReportFile },
            ScanDelay = TimeSpan.FromMilliseconds(300),
            WebhookHandler = () => _factory!.Server.CreateHandler(),
        }, project: project);
        _session.Simulator.State.AddWebhookPolicy(_session.Project, "http://localhost/webhooks/harbor", HarborBridgeFactory.AuthHeader, "Default",
            "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");

        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, _session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        settings["HarborBridge:Signing:KeyFile"] = keyFile;
        settings["HarborBridge:Signing:KeyPassword"] = "attest-pw";
        _factory = new HarborBridgeFactory(settings);
        using var client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
        _probe = _factory.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint("attest-probe-" + Guid.NewGuid().ToString("N")[..8], e =>
            e.Handler<ArtifactSigned>(c =>
            {
                lock (_signed)
                {
                    _signed.Add(c.Message);
                }

                return Task.CompletedTask;
            }));
        await _probe.Ready;
    }

    public async Task DisposeAsync()
    {
        if (_probe is { } probe)
        {
            await probe.StopAsync();
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _session.DisposeAsync();
        await _database.DisposeAsync();
        _key.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private int SignedCount(string digest)
    {
        lock (_signed)
        {
            return _signed.Count(s => s.Artifact.Digest == digest);
        }
    }

    [Fact]
    public async Task ApprovedArtifact_AttHoldsOneVulnAndOneDecisionAttestation_MatchingTheReport_RedeliveryAddsNothing()
    {
        var image = await _session.PushImageAsync("app", "v1", TestServices.Timeout(120));
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(image.ManifestDigest) > 0), Patience),
            $"{image.ManifestDigest} was not signed within {Patience}");
        var decision = Assert.Single(await _factory!.Services.GetRequiredService<IDecisionStore>().GetDecisionsAsync(image.ManifestDigest, default));
        Assert.Equal("Pass", decision.Verdict);

        var (manifestDigest, attestations) = await ReadAttestationsAsync(image.ManifestDigest);
        Assert.Equal([VulnType, DecisionType], attestations.Select(a => a.PredicateType).Order(StringComparer.Ordinal));

        using var fixture = JsonDocument.Parse(await File.ReadAllTextAsync(ReportFile));
        var report = fixture.RootElement.GetProperty(ReportMime);
        var vuln = attestations.Single(a => a.PredicateType == VulnType).Statement;
        Assert.Equal(image.ManifestDigest["sha256:".Length..], vuln["subject"]![0]!["digest"]!["sha256"]!.GetValue<string>());
        var scanner = vuln["predicate"]!["scanner"]!;
        Assert.Equal(report.GetProperty("scanner").GetProperty("version").GetString(), scanner["version"]!.GetValue<string>());
        // The report as Harbor serves it: the fixture's, stamped with the time of the scan that produced it.
        var served = await _session.Harbor.GetVulnerabilityReportAsync(_session.Project, "app", image.ManifestDigest, default);
        var expected = JsonNode.Parse(report.GetRawText())!.AsObject();
        expected["generated_at"] = JsonNode.Parse(served!.Json)!["generated_at"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, scanner["result"]), "scanner.result is not the fixture report of this scan");
        Assert.Equal(["CVE-2019-18276", "CVE-2013-7445"], scanner["result"]!["vulnerabilities"]!.AsArray().Select(v => v!["id"]!.GetValue<string>()));
        var metadata = vuln["predicate"]!["metadata"]!;
        Assert.True(DateTimeOffset.Parse(metadata["scanStartedOn"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
            <= DateTimeOffset.Parse(metadata["scanFinishedOn"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith($"/artifacts/{image.ManifestDigest}/additions/vulnerabilities", vuln["predicate"]!["invocation"]!["uri"]!.GetValue<string>(), StringComparison.Ordinal);

        var decided = attestations.Single(a => a.PredicateType == DecisionType).Statement["predicate"]!;
        Assert.Equal("pass", decided["verdict"]!.GetValue<string>());
        Assert.Equal(decision.ReportDigest, decided["reportDigest"]!.GetValue<string>());
        Assert.Equal(decision.PolicyVersion, decided["policyVersion"]!.GetValue<string>());
        var exception = Assert.Single(decided["exceptionsUsed"]!.AsArray())!;
        Assert.Equal(ExceptionId, exception["id"]!.GetValue<string>());
        Assert.Equal(ExceptionId, exception["vulnerability"]!.GetValue<string>());
        Assert.Equal("2100-01-01T00:00:00Z", exception["expiresAt"]!.GetValue<string>());

        // Redelivery: the scan event again republishes the stored decision, which is signed again.
        var scanEvent = (await _factory.Store.GetEventsAsync(image.ManifestDigest, default)).Single(e => e.EventType == "SCANNING_COMPLETED");
        await _factory.Services.GetRequiredService<IBus>().Publish(
            new ScanCompleted(scanEvent.EventId, decision.Artifact, scanEvent.Tag, scanEvent.Operator, scanEvent.OccurredAt, null));
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(SignedCount(image.ManifestDigest) > 1), Patience),
            "the redelivered decision was not signed again");
        var (againDigest, again) = await ReadAttestationsAsync(image.ManifestDigest);
        Assert.Equal(manifestDigest, againDigest);
        Assert.Equal([VulnType, DecisionType], again.Select(a => a.PredicateType).Order(StringComparer.Ordinal));
    }

    /// <summary>Ten images through push → scan → decide → sign + attest, after one warm-up image that fills what a running
    /// service has warm (the repository's registry token, the project's auto_scan setting): ten, so that one request per
    /// artifact creeping back shows as ten.</summary>
    [Fact]
    public async Task PushScanDecideSignAttest_TenArtifacts_AtMostThreeHarborAndTenRegistryRequestsEach()
    {
        const int artifacts = 10;
        var warm = await _session.PushImageAsync("app", "warm", TestServices.Timeout(120));
        await WaitSignedAsync([warm.ManifestDigest]);
        var state = _session.Simulator.State;
        state.KeepRequestLog = true;
        var digests = new List<string>();
        for (var i = 0; i < artifacts; i++)
        {
            digests.Add((await _session.PushImageAsync("app", $"v{i}", TestServices.Timeout(120))).ManifestDigest);
        }

        await WaitSignedAsync(digests);
        await Task.Delay(TimeSpan.FromSeconds(1)); // a late retry, if any, shows now
        state.KeepRequestLog = false;
        var log = state.RequestLog;

        // HarborBridge's registry client announces itself (HarborOptions.RegistryUserAgent); the pushes come from skopeo.
        var ours = new HarborBridge.Harbor.HarborOptions().RegistryUserAgent;
        var pushers = log.Where(r => r.Kind == "registry" && r.UserAgent != ours).Select(r => r.UserAgent).ToHashSet(StringComparer.Ordinal);
        var registry = log.Count(r => r.Kind == "registry" && r.UserAgent == ours) + log.Count(r => r.Kind == "token" && !pushers.Contains(r.UserAgent));
        // The project's settings are read once per project and cache lifetime (ProjectAutoScanCache), not per artifact.
        var projectReads = log.Count(r => r.Kind == "api" && r.Path == $"/api/v2.0/projects/{_session.Project}/metadatas/");
        var harbor = log.Count(r => r.Kind == "api") - projectReads;
        var breakdown = string.Join("\n", log.Where(r => r.Kind == "api" || !pushers.Contains(r.UserAgent))
            .GroupBy(r => $"{r.Kind} {r.Method} {Shape(r.Path)}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count(),4} {g.Key}"));

        output.WriteLine(FormattableString.Invariant(
            $"per signed artifact: Harbor {(double)harbor / artifacts:F1} (+ {projectReads} project settings reads in all), registry {(double)registry / artifacts:F1}\n{breakdown}"));
        // Harbor: GET artifact and POST scan at the push, GET the report at SCANNING_COMPLETED; signing reads nothing again
        // (the verdict event carries the report). Before issue 22 signing read the report and the artifact again: 5.
        Assert.True(harbor <= 3 * artifacts, $"{harbor} Harbor API requests for {artifacts} signed artifacts:\n{breakdown}");
        Assert.True(projectReads <= 2, $"{projectReads} reads of the project's settings:\n{breakdown}");
        // Registry: .sig = GET tag (404), POST+PUT payload, PUT manifest (4); .att = GET tag (404), POST+PUT per envelope (2),
        // PUT manifest (6). Nothing is read back after writing, and the config both share (the OCI empty config) was uploaded
        // with the warm-up image. Before issue 22: 14 (a config per signature, POST+PUT each).
        Assert.True(registry <= 10 * artifacts, $"{registry} registry requests for {artifacts} signed artifacts:\n{breakdown}");
    }

    private async Task WaitSignedAsync(IReadOnlyList<string> digests) =>
        Assert.True(await TestEnvironment.EventuallyAsync(() => Task.FromResult(digests.All(d => SignedCount(d) > 0)), 2 * Patience),
            $"not all of {digests.Count} artifacts were signed within {2 * Patience}");

    // Digests and upload ids folded, so that the breakdown groups requests by kind.
    private static string Shape(string path) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(path, "sha256[:-][0-9a-f]{64}", "<digest>"), "/uploads/[^/?]+", "/uploads/<id>");

    /// <summary>Every layer of the image's <c>.att</c> manifest, each checked by hand: the blob matches its descriptor,
    /// the envelope's signature verifies over PAE("application/vnd.in-toto+json", statement) with our public key.</summary>
    private async Task<(string ManifestDigest, List<(string PredicateType, JsonNode Statement)> Attestations)> ReadAttestationsAsync(string imageDigest)
    {
        var repository = _session.Repository("app");
        var tag = "sha256-" + imageDigest["sha256:".Length..] + ".att";
        var manifest = await _session.Registry.GetManifestAsync(repository, tag, TestServices.Timeout());
        Assert.NotNull(manifest);
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(_key.ExportSubjectPublicKeyInfoPem());
        var result = new List<(string, JsonNode)>();
        using var document = JsonDocument.Parse(manifest.Content);
        foreach (var layer in document.RootElement.GetProperty("layers").EnumerateArray())
        {
            Assert.Equal("application/vnd.dsse.envelope.v1+json", layer.GetProperty("mediaType").GetString());
            var digest = layer.GetProperty("digest").GetString()!;
            var blob = await _session.Registry.GetBlobAsync(repository, digest, TestServices.Timeout());
            Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob)));
            using var envelope = JsonDocument.Parse(blob);
            var payloadType = envelope.RootElement.GetProperty("payloadType").GetString()!;
            Assert.Equal("application/vnd.in-toto+json", payloadType);
            var payload = Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!);
            var signature = Convert.FromBase64String(envelope.RootElement.GetProperty("signatures")[0].GetProperty("sig").GetString()!);
            var pae = Encoding.UTF8.GetBytes($"DSSEv1 {payloadType.Length} {payloadType} {payload.Length} ").Concat(payload).ToArray();
            Assert.True(publicKey.VerifyData(pae, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                $"the DSSE signature of layer {digest} does not verify with the public key");
            var statement = JsonNode.Parse(payload)!;
            var predicateType = statement["predicateType"]!.GetValue<string>();
            Assert.Equal(predicateType, layer.GetProperty("annotations").GetProperty("predicateType").GetString());
            result.Add((predicateType, statement));
        }

        return (manifest.Descriptor.Digest, result);
    }
}
