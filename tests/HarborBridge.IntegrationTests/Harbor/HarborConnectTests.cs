using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HarborBridge.Cli;
using HarborBridge.Harbor;
using HarborBridge.Hosting;
using HarborBridge.HarborSimulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary><c>harborbridge harbor connect</c> and <c>harborbridge harbor check</c> over the Harbor simulator (which
/// checks robot permissions as Harbor does), run through the command line as a user types it.</summary>
public sealed class HarborConnectTests
{
    private const string Master = "connect-test-master-secret-0123456789abcdef";
    private const string WebhookUrl = "http://harborbridge.example:8080/webhooks/harbor";

    /// <summary>docs/quarantine.md "Least-privilege permissions" (every strategy; project:create is system-level and not
    /// granted), plus notification-policy:list and metadata:list that the check reads with.</summary>
    private static readonly string[] ExpectedPermissions =
    [
        "accessory:list", "artifact-addition:read", "artifact-label:create", "artifact-label:delete", "artifact:create", "artifact:delete",
        "artifact:list", "artifact:read", "label:create", "label:list", "metadata:delete", "metadata:list", "metadata:update",
        "notification-policy:list", "project:read", "project:update", "repository:delete", "repository:pull", "repository:push",
        "scan:create", "scan:read", "scan:stop",
    ];

    private static readonly string[] ExpectedEvents = ["DELETE_ARTIFACT", "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED"];

    [Fact]
    public async Task Connect_FreshProjects_EndFullyProvisionedAndCheckPasses()
    {
        var ct = TestServices.Timeout();
        await using var simulator = await StartAsync(["web", "api"]);

        var run = await ConnectAsync(simulator, "Harbor12345", ct, "--project", "web", "--project", "api");

        Assert.Equal(0, run.Exit);
        var robot = Assert.Single(simulator.State.Robots);
        Assert.Equal("robot$harborbridge", robot.FullName);
        Assert.Equal("system", robot.Level);
        Assert.False(robot.Disabled);
        foreach (var project in new[] { "web", "api" })
        {
            var granted = robot.Permissions.Where(p => p.Kind == "project" && p.Namespace == project).SelectMany(p => p.Access).Select(a => $"{a.Resource}:{a.Action}");
            Assert.Equal(ExpectedPermissions, granted.Order(StringComparer.Ordinal));
            var policy = Assert.Single(Policies(simulator, project));
            Assert.True(policy.Enabled);
            Assert.Equal(ExpectedEvents, policy.EventTypes.Order(StringComparer.Ordinal));
            var target = Assert.Single(policy.Body["targets"]!.AsArray())!;
            Assert.Equal(WebhookUrl, target["address"]!.GetValue<string>());
            Assert.Equal(ProjectHeader(project), target["auth_header"]!.GetValue<string>());
            Assert.Equal("true", simulator.State.Projects[project].Metadata["auto_scan"]);
        }

        // The secret is printed once, and it is the robot's: the printed settings make a working configuration.
        Assert.Contains($"HarborBridge__Harbor__Password={robot.Secret}", run.Output, StringComparison.Ordinal);
        Assert.Contains("HarborBridge__Harbor__Username=robot$harborbridge", run.Output, StringComparison.Ordinal);
        var check = await CheckAsync(simulator, robot.Secret, ["web", "api"], ct);
        Assert.Equal(0, check.Exit);
        Assert.StartsWith("ok: ", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_SecondRun_ReportsAllCorrectAndWritesNothing()
    {
        var ct = TestServices.Timeout();
        await using var simulator = await StartAsync(["web", "api"]);
        Assert.Equal(0, (await ConnectAsync(simulator, "Harbor12345", ct, "--project", "web", "--project", "api")).Exit);
        var secret = simulator.State.Robots.Single().Secret;
        simulator.State.KeepRequestLog = true;

        var second = await ConnectAsync(simulator, "Harbor12345", ct, "--project", "web", "--project", "api");

        Assert.Equal(0, second.Exit);
        Assert.DoesNotContain(simulator.State.RequestLog, r => r.Kind == "api" && r.Method is not ("GET" or "HEAD"));
        Assert.Contains("robot robot$harborbridge: already correct", second.Output, StringComparison.Ordinal);
        Assert.Contains("project web: webhook policy 'harborbridge' already correct", second.Output, StringComparison.Ordinal);
        Assert.Contains("project api: scan on push already on", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, second.Output, StringComparison.Ordinal);
        Assert.Single(simulator.State.Robots);
        Assert.Single(Policies(simulator, "web"));
    }

    [Fact]
    public async Task Check_EachMissingPermissionDisabledPolicyWrongUrlAndAutoScanOff_ReportedWithFix_ConnectRepairs()
    {
        var ct = TestServices.Timeout();
        await using var simulator = await StartAsync(["web", "api"]);
        Assert.Equal(0, (await ConnectAsync(simulator, "Harbor12345", ct, "--project", "web", "--project", "api")).Exit);
        var robot = simulator.State.Robots.Single();
        lock (simulator.State.Sync)
        {
            robot.Permissions.Single(p => p.Namespace == "web").Access.Remove(("artifact-label", "create"));
            robot.Permissions.Single(p => p.Namespace == "api").Access.Remove(("scan", "create"));
            Policies(simulator, "web").Single().Body["enabled"] = false;
            Policies(simulator, "api").Single().Body["targets"]![0]!["address"] = "http://old-host:8080/webhooks/harbor";
            simulator.State.Projects["api"].Metadata["auto_scan"] = "false";
        }

        var check = await CheckAsync(simulator, robot.Secret, ["web", "api"], ct);

        Assert.Equal(1, check.Exit);
        Assert.Equal(
        [
            "robot lacks artifact-label:create on project web: grant it in Harbor (Robot Accounts > Edit) or rerun harborbridge harbor connect",
            "project web webhook policy 'harborbridge' is disabled: rerun harborbridge harbor connect, or fix it in Harbor (Projects > web > Webhooks)",
            "robot lacks scan:create on project api: grant it in Harbor (Robot Accounts > Edit) or rerun harborbridge harbor connect",
            $"project api webhook policy 'harborbridge' sends to http://old-host:8080/webhooks/harbor, not {WebhookUrl}: rerun harborbridge harbor connect, or fix it in Harbor (Projects > api > Webhooks)",
            "project api does not scan on push (auto_scan is off): turn on 'Automatically scan images on push' in Harbor (Projects > api > Configuration) or rerun harborbridge harbor connect",
        ], check.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.DoesNotContain(robot.Secret, check.Output + check.Error, StringComparison.Ordinal);

        // The robot without scan:create really is refused by the simulator, with Harbor's 403 body.
        using var http = new HttpClient();
        using var scan = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.Url, "api/v2.0/projects/api/repositories/x/artifacts/latest/scan"));
        scan.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{robot.FullName}:{robot.Secret}")));
        using var refused = await http.SendAsync(scan, ct);
        Assert.Equal(403, (int)refused.StatusCode);
        Assert.Equal("FORBIDDEN", JsonNode.Parse(await refused.Content.ReadAsStringAsync(ct))!["errors"]![0]!["code"]!.GetValue<string>());

        var repair = await ConnectAsync(simulator, "Harbor12345", ct, "--project", "web", "--project", "api");
        Assert.Equal(0, repair.Exit);
        Assert.Contains("robot robot$harborbridge: updated (added artifact-label:create on web; added scan:create on api)", repair.Output, StringComparison.Ordinal);
        Assert.Contains("project web: webhook policy 'harborbridge' updated (webhook policy 'harborbridge' is disabled)", repair.Output, StringComparison.Ordinal);
        Assert.Contains("project api: scan on push turned on", repair.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await CheckAsync(simulator, robot.Secret, ["web", "api"], ct)).Exit);
    }

    [Fact]
    public async Task Connect_BadInput_ClearErrorNonZeroExitNoStackTraceNothingWritten()
    {
        var ct = TestServices.Timeout(120);
        await using var simulator = await StartAsync(["web"]);
        simulator.State.KeepRequestLog = true;

        var wrongPassword = await ConnectAsync(simulator, "not-the-password", ct, "--project", "web");
        Assert.Equal(1, wrongPassword.Exit);
        Assert.Contains($"error: Harbor at {simulator.Url.ToString().TrimEnd('/')} refused admin's credentials: 401 Unauthorized", wrongPassword.Error, StringComparison.Ordinal);

        var missingProject = await ConnectAsync(simulator, "Harbor12345", ct, "--project", "nope");
        Assert.Equal(1, missingProject.Exit);
        Assert.Contains("error: project nope does not exist", missingProject.Error, StringComparison.Ordinal);

        var noPassword = await RunAsync(simulator, null, ct, "connect", "--url", simulator.Url.ToString(), "--project", "web", "--webhook-url", WebhookUrl);
        Assert.Equal(2, noPassword.Exit);
        Assert.Contains("error: no password: pass --password-stdin", noPassword.Error, StringComparison.Ordinal);

        var unreachable = await RunAsync(simulator, "Harbor12345\n", ct, "connect", "--url", "http://127.0.0.1:1", "--password-stdin", "--project", "web", "--webhook-url", WebhookUrl);
        Assert.Equal(1, unreachable.Exit);
        Assert.Contains("error: cannot reach Harbor at http://127.0.0.1:1: connection refused", unreachable.Error, StringComparison.Ordinal);

        // https to a plain-HTTP port: the TLS handshake fails, and the message says what to set.
        var tls = await RunAsync(simulator, "Harbor12345\n", ct, "connect", "--url", "https://" + simulator.RegistryHost, "--password-stdin", "--project", "web", "--webhook-url", WebhookUrl);
        Assert.Equal(1, tls.Exit);
        Assert.Contains("the TLS handshake failed", tls.Error, StringComparison.Ordinal);
        Assert.Contains("HarborBridge:Harbor:CaFile", tls.Error, StringComparison.Ordinal);

        foreach (var run in new[] { wrongPassword, missingProject, noPassword, unreachable, tls })
        {
            Assert.DoesNotContain("   at ", run.Error + run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", run.Error + run.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(simulator.State.RequestLog, r => r.Kind == "api" && r.Method is not ("GET" or "HEAD"));
        Assert.Empty(simulator.State.Robots);
    }

    [Fact]
    public async Task Readyz_SetUpProblem_DegradesWithItsFix_CheckedAtMostOncePerMinute()
    {
        var ct = TestServices.Timeout();
        await using var simulator = await StartAsync(["web"]);
        Assert.Equal(0, (await ConnectAsync(simulator, "Harbor12345", ct, "--project", "web")).Exit);
        var robot = simulator.State.Robots.Single();
        lock (simulator.State.Sync)
        {
            Policies(simulator, "web").Single().Body["enabled"] = false;
        }

        var clock = new ManualClock();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = simulator.Url.ToString(),
            ["HarborBridge:Harbor:Username"] = robot.FullName,
            ["HarborBridge:Harbor:Password"] = robot.Secret,
            ["HarborBridge:Webhook:AuthMode"] = "PerProject",
            ["HarborBridge:Webhook:ProjectSecrets:Master"] = Master,
            ["HarborBridge:Schedules:Reconciliation:Projects:0"] = "web",
            ["HarborBridge:Schedules:Reconciliation:WebhookAddress"] = WebhookUrl,
            ["HarborBridge:Policy:File"] = Path.Combine(Path.GetTempPath(), "hb-connect-no-policy-here.yaml"),
        }).Build();
        await using var services = HarborCommand.Services(configuration, clock);
        var check = new HarborHealthCheck(services.GetRequiredService<IOptions<HarborOptions>>(), services);

        var first = await check.CheckHealthAsync(new HealthCheckContext(), ct);

        Assert.Equal(HealthStatus.Degraded, first.Status);
        Assert.Contains("project web webhook policy 'harborbridge' is disabled: rerun harborbridge harbor connect", first.Description, StringComparison.Ordinal);
        simulator.State.KeepRequestLog = true;
        _ = await check.CheckHealthAsync(new HealthCheckContext(), ct);
        Assert.DoesNotContain(simulator.State.RequestLog, r => r.Path.Contains("webhook", StringComparison.Ordinal));
        clock.Now += TimeSpan.FromSeconds(61);
        lock (simulator.State.Sync)
        {
            Policies(simulator, "web").Single().Body["enabled"] = true;
        }

        var later = await check.CheckHealthAsync(new HealthCheckContext(), ct);
        Assert.Equal(HealthStatus.Healthy, later.Status);
        Assert.Contains(simulator.State.RequestLog, r => r.Path.EndsWith("/webhook/policies", StringComparison.Ordinal));
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed record Run(int Exit, string Output, string Error);

    private static async Task<HarborSimulatorHandle> StartAsync(string[] projects)
    {
        var simulator = await HarborSimulatorHost.StartAsync(new HarborSimulatorOptions { RegistryAddress = "127.0.0.1:1" }, TestServices.Timeout());
        foreach (var project in projects)
        {
            simulator.State.CreateProject(project);
        }

        return simulator;
    }

    private static List<SimWebhookPolicy> Policies(HarborSimulatorHandle simulator, string project)
    {
        lock (simulator.State.Sync)
        {
            var id = simulator.State.Projects[project].Id;
            return simulator.State.WebhookPolicies.Where(p => p.ProjectId == id).ToList();
        }
    }

    /// <summary>docs/security.md: the per-project header is <c>Bearer hbp1.</c> + hex HMAC-SHA256(master, "harbor-webhook:" + project).</summary>
    private static string ProjectHeader(string project) =>
        "Bearer hbp1." + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Master), Encoding.UTF8.GetBytes("harbor-webhook:" + project)));

    private static Task<Run> ConnectAsync(HarborSimulatorHandle simulator, string password, CancellationToken ct, params string[] projects) =>
        RunAsync(simulator, password + "\n", ct, ["connect", "--url", simulator.Url.ToString(), "--username", "admin", "--password-stdin", "--webhook-url", WebhookUrl, .. projects]);

    private static Task<Run> CheckAsync(HarborSimulatorHandle simulator, string secret, string[] projects, CancellationToken ct)
    {
        var settings = new List<string>
        {
            $"--HarborBridge:Harbor:Url={simulator.Url}",
            "--HarborBridge:Harbor:Username=robot$harborbridge",
            $"--HarborBridge:Harbor:Password={secret}",
            $"--HarborBridge:Schedules:Reconciliation:WebhookAddress={WebhookUrl}",
        };
        settings.AddRange(projects.Select((p, i) => $"--HarborBridge:Schedules:Reconciliation:Projects:{i}={p}"));
        return RunAsync(simulator, null, ct, ["check", .. settings]);
    }

    /// <summary>Runs <c>harborbridge harbor ARGS</c> with the service's webhook settings (per-project headers) and the
    /// every-strategy policy, as an operator's configuration would give them.</summary>
    private static async Task<Run> RunAsync(HarborSimulatorHandle simulator, string? stdin, CancellationToken ct, params string[] args)
    {
        _ = simulator;
        var policy = Path.Combine(Path.GetTempPath(), $"hb-connect-policy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\ndefaults:\n  quarantine: { strategies: [unsign, label, prevent-pull, move] }\n", ct);
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["HarborBridge:Webhook:AuthMode"] = "PerProject",
                ["HarborBridge:Webhook:ProjectSecrets:Master"] = Master,
                ["HarborBridge:Policy:File"] = policy,
                ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.050",
                ["HarborBridge:Harbor:MaxRetryAttempts"] = "1",
            };
            var command = HarborCommand.Create(new StringReader(stdin ?? ""),
                configuration => new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(settings).Build());
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = await new RootCommand { command }.Parse(["harbor", .. args])
                .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
            return new Run(exit, output.ToString(), error.ToString());
        }
        finally
        {
            File.Delete(policy);
        }
    }
}
