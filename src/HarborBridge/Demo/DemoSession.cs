using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using HarborBridge.Cli;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;
using HarborBridge.Hosting;

namespace HarborBridge.Demo;

/// <summary>What <c>harborbridge demo</c> was asked for.</summary>
internal sealed record DemoSettings(int Port, bool Keep, string RegistryBinary);

/// <summary>
/// <c>harborbridge demo</c>: docker-registry (child process), the Harbor simulator in front of it and the service
/// (embedded default: in-memory transport, SQLite), all on 127.0.0.1 with a throwaway folder, key and token; pushes
/// three images through the simulator and reports each decision. Everything it started is stopped when
/// the stop token fires (Ctrl+C / SIGTERM). Unix only (owner-only secret files, POSIX signals, Debian's docker-registry).
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class DemoSession
{
    public const string Project = "demo";
    public const int ExitFailed = 1;

    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);

    private static readonly string Policy = """
        # harborbridge demo: block CRITICAL findings, warn about HIGH ones, quarantine with a Harbor label.
        version: 1
        defaults:
          block: { severity: CRITICAL }
          warn:  { severity: HIGH }
          quarantine: { strategies: [label], label: quarantined }
        """;

    public static async Task<int> RunAsync(DemoSettings settings, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var registryExecutable = DemoRegistry.Find(settings.RegistryBinary);
        if (registryExecutable is null)
        {
            await error.WriteLineAsync($"error: the demo needs docker-registry (CNCF distribution), and '{settings.RegistryBinary}' was not found. " +
                $"Install it with: {DemoRegistry.InstallHint} (Debian/Ubuntu), or pass --registry-binary PATH.");
            return ExitFailed;
        }

        using var http = new ServiceCollection().AddHttpClient(nameof(DemoSession), c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false }).Services.BuildServiceProvider();
        var client = http.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(DemoSession));
        var folder = Path.Combine(Path.GetTempPath(), "harborbridge-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(folder);
        DemoRegistry? registry = null;
        HarborSimulatorHandle? harbor = null;
        WebApplication? service = null;
        try
        {
            await output.WriteLineAsync($"Demo folder: {folder}");
            registry = await DemoRegistry.StartAsync(registryExecutable, folder, client, stop);
            await output.WriteLineAsync($"docker-registry (pid {registry.ProcessId.ToString(CultureInfo.InvariantCulture)}) on http://{registry.Address}");

            var secrets = DemoSecrets.Create();
            harbor = await StartHarborAsync(registry.Address, folder, secrets, stop);
            await output.WriteLineAsync($"Harbor simulator on {harbor.Url} (user admin, password {secrets.HarborPassword})");

            var keyPrefix = Path.Combine(folder, "cosign");
            if (await KeysCommand.GenerateAsync(keyPrefix, secrets.KeyPassword, TextWriter.Null, error, stop) != 0)
            {
                return ExitFailed;
            }

            var policyFile = Path.Combine(folder, "policy.yaml");
            await File.WriteAllTextAsync(policyFile, Policy, stop);
            service = await StartServiceAsync(settings.Port, folder, harbor.Url, keyPrefix + ".key", policyFile, secrets, stop);
            var serviceUrl = new Uri(service.Urls.First());
            harbor.State.AddWebhookPolicy(Project, new Uri(serviceUrl, "webhooks/harbor").ToString(), secrets.WebhookAuthHeader, "Default",
                "PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED");
            await output.WriteLineAsync($"HarborBridge on {serviceUrl} (in-memory transport, SQLite {Path.Combine(folder, "harborbridge.db")})");

            var pushed = await PushImagesAsync(harbor, secrets, stop);
            await DemoGuide.PrintGuideAsync(output, folder, serviceUrl, harbor, keyPrefix + ".pub", secrets, pushed);
            await DemoGuide.ReportOutcomesAsync(output, client, serviceUrl, secrets.AdminToken, pushed, stop);
            await output.WriteLineAsync("Press Ctrl+C to stop the demo.");
            await Task.Delay(Timeout.Infinite, stop);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (DemoException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitFailed;
        }
        catch (OciRegistryException e)
        {
            await error.WriteLineAsync("error: pushing the demo images failed: " + e.Message);
            return ExitFailed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException)
        {
            await error.WriteLineAsync("error: the demo failed: " + e.Message);
            return ExitFailed;
        }
        finally
        {
            await output.WriteLineAsync("Stopping the demo...");
            await StopAsync(service, harbor, registry);
            if (settings.Keep)
            {
                await output.WriteLineAsync($"Stopped. The folder {folder} is kept (--keep).");
            }
            else
            {
                TryDelete(folder);
                await output.WriteLineAsync($"Stopped. Removed {folder}.");
            }
        }
    }

    private static async Task<HarborSimulatorHandle> StartHarborAsync(string registryAddress, string folder, DemoSecrets secrets, CancellationToken stop)
    {
        var reports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var image in DemoImage.All.Where(i => i.ReportResource is not null))
        {
            var file = Path.Combine(folder, "report-" + image.ReportResource);
            await using (var resource = typeof(DemoSession).Assembly.GetManifestResourceStream("HarborBridge.Demo.reports." + image.ReportResource)!)
            await using (var target = File.Create(file))
            {
                await resource.CopyToAsync(target, stop);
            }

            reports[$"{Project}/{image.Repository}"] = file;
        }

        var harbor = await HarborSimulatorHost.StartAsync(new HarborSimulatorOptions
        {
            RegistryAddress = registryAddress,
            Users = new Dictionary<string, string>(StringComparer.Ordinal) { ["admin"] = secrets.HarborPassword },
            Reports = reports,
            ScanDelay = TimeSpan.FromSeconds(1),
        }, stop);
        harbor.State.CreateProject(Project);
        return harbor;
    }

    private static async Task<WebApplication> StartServiceAsync(
        int port, string folder, Uri harbor, string keyFile, string policyFile, DemoSecrets secrets, CancellationToken stop)
    {
        // Secrets go to owner-only files in the demo folder (…File settings), never onto a command line.
        var secretFiles = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HarborBridge:Webhook:AuthHeader"] = secrets.WebhookAuthHeader,
            ["HarborBridge:Admin:Token"] = secrets.AdminToken,
            ["HarborBridge:Harbor:Password"] = secrets.HarborPassword,
            ["HarborBridge:Signing:KeyPassword"] = secrets.KeyPassword,
        };
        // appsettings.json sets a connection string (so no …File); a SQLite path is no secret, but one on the command line
        // is reported as one, so it comes through this process's environment.
        Environment.SetEnvironmentVariable("HarborBridge__Database__ConnectionString", $"Data Source={Path.Combine(folder, "harborbridge.db")}");
        List<string> args =
        [
            "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--HarborBridge:Transport=InMemory",
            "--HarborBridge:Database:Provider=Sqlite",
            $"--HarborBridge:Harbor:Url={harbor}",
            "--HarborBridge:Harbor:Username=admin",
            $"--HarborBridge:Policy:File={policyFile}",
            $"--HarborBridge:Signing:KeyFile={keyFile}",
            // The demo prints what matters; the service's console shows warnings and errors only.
            "--Serilog:MinimumLevel:Default=Warning",
            "--Serilog:MinimumLevel:Override:Microsoft=Warning",
            "--Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime=Warning",
            "--Serilog:MinimumLevel:Override:MassTransit=Warning",
        ];
        var secretsFolder = Directory.CreateDirectory(Path.Combine(folder, "secrets"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var (key, value) in secretFiles)
        {
            var file = Path.Combine(secretsFolder.FullName, key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..].Replace(':', '-'));
            var owner = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            await using (var stream = new FileStream(file, owner))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(value), stop);
            }

            args.Add($"--{key}File={file}");
        }

        WebApplication app;
        try
        {
            app = HarborBridgeServer.Build([.. args], ServerRoles.All);
        }
        catch (Exception e) when (e is Microsoft.Extensions.Options.OptionsValidationException or InvalidOperationException)
        {
            throw new DemoException("the service did not start: " + e.Message);
        }

        try
        {
            await app.StartAsync(stop);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new DemoException($"the service cannot listen on 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} " +
                $"({e.Message}); choose another --port.");
        }

        return app;
    }

    private static async Task<IReadOnlyList<(DemoImage Image, string Reference, string Digest)>> PushImagesAsync(
        HarborSimulatorHandle harbor, DemoSecrets secrets, CancellationToken stop)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = harbor.Url.ToString(),
            ["HarborBridge:Harbor:Username"] = "admin",
            ["HarborBridge:Harbor:Password"] = secrets.HarborPassword,
            ["HarborBridge:Harbor:RegistryUserAgent"] = "harborbridge-demo/1.0",
        }).Build();
        await using var clients = new ServiceCollection().AddLogging().AddHarborClients(configuration).BuildServiceProvider();
        var registry = clients.GetRequiredService<IOciRegistryClient>();
        var pushed = new List<(DemoImage, string, string)>();
        foreach (var image in DemoImage.All)
        {
            var digest = await DemoImages.PushAsync(registry, OciRepository.InHarbor(harbor.Url, Project, image.Repository), image, stop);
            pushed.Add((image, $"{harbor.RegistryHost}/{Project}/{image.Repository}:{image.Tag}", digest));
        }

        return pushed;
    }

    private static async Task StopAsync(WebApplication? service, HarborSimulatorHandle? harbor, DemoRegistry? registry)
    {
        if (service is not null)
        {
            using var limit = new CancellationTokenSource(StopPatience);
            await service.StopAsync(limit.Token);
            await service.DisposeAsync();
        }

        if (harbor is not null)
        {
            await harbor.DisposeAsync();
        }

        if (registry is not null)
        {
            await registry.DisposeAsync();
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaning; nothing depends on it.
        }
    }
}
