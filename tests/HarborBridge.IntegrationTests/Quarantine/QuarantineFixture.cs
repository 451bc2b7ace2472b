using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.Signing.Keys;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Quarantine;

/// <summary>
/// One HarborBridge (real RabbitMQ vhost, real PostgreSQL database, signing key) in front of one Harbor simulator (real
/// docker-registry behind it). The policy picks the quarantine strategies by repository name. Every test makes its own
/// project and images, so no test sees another's data. The simulator scans every image with harbor-5-vuln.json
/// (2 Critical, 2 High, 1 Negligible, counted by hand).
/// </summary>
public sealed class QuarantineFixture : IAsyncLifetime
{
    public const string AdminToken = "quarantine-admin-token-0123456789abcdef";

    /// <summary>The header an authenticating proxy would set (HarborBridge:Admin:IdentityHeader).</summary>
    public const string IdentityHeader = "X-Remote-User";
    public const string QuarantineProject = "quarantine";
    public const string LabelName = "hb-quarantined";

    /// <summary>The quarantine project of repository <c>move-new</c>; it does not exist until HarborBridge creates it.</summary>
    public const string CreatedQuarantineProject = "quarantine-auto";

    /// <summary>A policy exception that applies to whole projects: prevent-pull mirrors it into Harbor's CVE allowlist.</summary>
    public const string MirroredCve = "CVE-2021-44228";

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-quarantine-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase _database = null!;
    private HarborBridgeFactory? _factory;

    internal SimulatorSession Session { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public string ConnectionString => _database.ConnectionString;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var policyFile = Path.Combine(_directory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, $"""
            version: 1
            defaults:
              block: {"{"} severity: CRITICAL {"}"}
              warn:  {"{"} severity: HIGH {"}"}
              quarantine:
                strategies: [unsign]
                label: "{LabelName}"
                project: {QuarantineProject}
            projects:
              - match: {"{"} project: "*", repository: "label" {"}"}
                quarantine: {"{"} strategies: [label] {"}"}
              - match: {"{"} project: "*", repository: "prevent*" {"}"}
                quarantine: {"{"} strategies: [prevent-pull] {"}"}
              - match: {"{"} project: "*", repository: "move" {"}"}
                quarantine: {"{"} strategies: [move] {"}"}
              - match: {"{"} project: "*", repository: "move-new" {"}"}
                quarantine: {"{"} strategies: [move], project: {CreatedQuarantineProject} {"}"}
              - match: {"{"} project: "*", repository: "all" {"}"}
                quarantine: {"{"} strategies: [unsign, label, prevent-pull] {"}"}
            exceptions:
              - id: {MirroredCve}
                expires: 2099-12-31
                reason: "not reachable in these images"
            """);

        var keyFile = Path.Combine(_directory, "service.key");
        using (var key = SigningKeyFiles.Generate())
        {
            await File.WriteAllTextAsync(keyFile, SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes("key-pw")));
        }

        Session = await SimulatorSession.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = TestServices.Registry,
            DefaultReportFile = TestEnvironment.FixturePath("quarantine", "harbor-5-vuln.json"),
            // As in Harbor, registry calls need a token: HarborBridge's unsign and re-sign in a project that enforces
            // signatures go through Harbor's signer bypass (a push token and a cosign agent), as they must in Harbor.
            RequireRegistryAuth = true,
        });
        Session.Simulator.State.CreateProject(QuarantineProject, new Dictionary<string, string> { ["prevent_vul"] = "true", ["severity"] = "none" });

        _database = await PostgresDatabase.CreateAsync();
        var settings = await HarborBridgeFactory.PipelineAsync(_database, Session.Simulator.Url, SimulatorSession.User, SimulatorSession.Password, policyFile);
        settings["HarborBridge:Admin:Token"] = AdminToken;
        settings["HarborBridge:Admin:IdentityHeader"] = IdentityHeader;
        settings["HarborBridge:Signing:KeyFile"] = keyFile;
        settings["HarborBridge:Signing:KeyPassword"] = "key-pw";
        _factory = new HarborBridgeFactory(settings);
        Client = _factory.CreateClient();
        Assert.True(await Readiness.WaitForCheckAsync(Client, "masstransit-bus", "Healthy", Patience), "bus did not connect");
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Session.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    public IHarborClient Harbor => Session.Harbor;

    /// <summary>A fresh project with these metadata values.</summary>
    public string NewProject(IReadOnlyDictionary<string, string>? metadata = null)
    {
        var name = "q" + Guid.NewGuid().ToString("N")[..10];
        Session.Simulator.State.CreateProject(name, metadata);
        return name;
    }

    /// <summary>Pushes a unique image with skopeo and waits for the simulator's scan of it.</summary>
    public async Task<ArtifactRef> PushScannedAsync(string project, string repository, string tag, CancellationToken ct)
    {
        var image = OciLayoutImage.Create(Path.Combine(Session.WorkDir, Guid.NewGuid().ToString("N")));
        await image.PushAsync($"{Session.Simulator.RegistryHost}/{project}/{repository}:{tag}", Session.WorkDir, ct);
        await Harbor.StartScanAsync(project, repository, image.ManifestDigest, ct);
        for (var i = 0; i < 100; i++)
        {
            var artifact = await Harbor.GetArtifactAsync(project, repository, image.ManifestDigest, ct);
            if (artifact?.ScanOverviews.FirstOrDefault() is { ScanStatus: "Success" })
            {
                return new ArtifactRef(project, repository, image.ManifestDigest);
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException("the simulator's scan did not finish within 10 s");
    }

    /// <summary>Gives an image another report in the simulator (as a rescan in Harbor would), with these findings.</summary>
    public void ReplaceReport(ArtifactRef artifact, params (string Id, string Severity)[] findings)
    {
        var report = new System.Text.Json.Nodes.JsonObject
        {
            ["scanner"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "Trivy", ["vendor"] = "Aqua Security", ["version"] = "v0.65.0" },
            ["vulnerabilities"] = new System.Text.Json.Nodes.JsonArray(findings.Select(v => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = v.Id,
                ["package"] = "openssl",
                ["version"] = "1.0",
                ["fix_version"] = "1.1",
                ["severity"] = v.Severity,
            }).ToArray()),
        };
        var state = Session.Simulator.State;
        state.ReplaceReport(state.FindArtifact(artifact.Project, artifact.Repository, artifact.Digest)!, report);
    }

    /// <summary>A fresh project with one image in <paramref name="repository"/>, blocked and quarantined by HarborBridge.</summary>
    public async Task<ArtifactRef> QuarantinedAsync(string repository, CancellationToken ct)
    {
        var artifact = await PushScannedAsync(NewProject(), repository, "v1", ct);
        await PublishAsync(Blocked(artifact), ct);
        await WaitForTransitionAsync(artifact.Digest, "quarantine applied:");
        return artifact;
    }

    /// <summary>Signs with HarborBridge's own signer (the key configured above), as the sign consumers would.</summary>
    public async Task SignAsync(ArtifactRef artifact, CancellationToken ct)
    {
        using var scope = Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IArtifactSigner>().SignAsync(artifact,
            new SigningDecision("decision-" + Guid.NewGuid().ToString("N"), "pass", "v1", "sha256:" + new string('e', 64), DateTimeOffset.UnixEpoch), ct);
    }

    public static ArtifactBlocked Blocked(ArtifactRef artifact) => new(
        "decision-" + Guid.NewGuid().ToString("N"), artifact, "v1", "sha256:policy", "sha256:report", "2 CRITICAL findings",
        [new DecidingFinding("CVE-YYYY-004", "openssl", "1.0", "1.1", "Critical", null, "Block")], true, DateTimeOffset.UtcNow);

    public Task PublishAsync<T>(T message, CancellationToken ct)
        where T : class => Services.GetRequiredService<IBus>().Publish(message, ct);

    public async Task<IReadOnlyList<ArtifactTransition>> TransitionsAsync(string digest) =>
        await Services.GetRequiredService<IDecisionStore>().GetTransitionsAsync(digest, default);

    /// <summary>Waits until a transition whose cause starts with <paramref name="causePrefix"/> is recorded.</summary>
    public async Task WaitForTransitionAsync(string digest, string causePrefix)
    {
        Assert.True(await TestEnvironment.EventuallyAsync(
            async () => (await TransitionsAsync(digest)).Any(t => t.Cause.StartsWith(causePrefix, StringComparison.Ordinal)), Patience),
            $"no transition '{causePrefix}…' for {digest} within {Patience}");
    }

    public async Task<HttpResponseMessage> ReleaseAsync(string digest, object? body, string? token = AdminToken, string? user = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/artifacts/{digest}/release");
        if (user is not null)
        {
            request.Headers.Add(IdentityHeader, user);
        }

        if (body is not null)
        {
            request.Content = body as HttpContent ?? JsonContent.Create(body);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Client.SendAsync(request);
    }

    /// <summary>Pulls the manifest through the simulator as a client would (a pull-only token, no cosign agent: no
    /// signer bypass); returns the HTTP status.</summary>
    public async Task<int> PullStatusAsync(ArtifactRef artifact, CancellationToken ct) =>
        (await HarborPullClient.PullAsync(Session.Simulator.Url, artifact.Project, artifact.Repository, artifact.Digest, ct)).Status;
}
