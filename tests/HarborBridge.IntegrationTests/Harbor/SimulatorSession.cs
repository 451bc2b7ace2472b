using HarborBridge.Core.Harbor;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.HarborSimulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>A simulator in front of the real registry, one fresh project, and HarborBridge's real clients
/// (AddHarborClients) pointed at it. Each test gets its own, so no test depends on another's data.</summary>
internal sealed class SimulatorSession : IAsyncDisposable
{
    public const string User = "admin";
    public const string Password = "Harbor12345";

    private readonly ServiceProvider _services;

    private SimulatorSession(HarborSimulatorHandle simulator, string project, string workDir, ServiceProvider services)
    {
        Simulator = simulator;
        Project = project;
        WorkDir = workDir;
        _services = services;
    }

    public HarborSimulatorHandle Simulator { get; }

    public string Project { get; }

    public string WorkDir { get; }

    public IHarborClient Harbor => _services.GetRequiredService<IHarborClient>();

    public IOciRegistryClient Registry => _services.GetRequiredService<IOciRegistryClient>();

    public OciRepository Repository(string name) => OciRepository.InHarbor(Simulator.Url, Project, name);

    public static async Task<SimulatorSession> StartAsync(HarborSimulatorOptions? options = null, IReadOnlyDictionary<string, string>? metadata = null, string? project = null)
    {
        var simulator = await HarborSimulatorHost.StartAsync(options ?? new HarborSimulatorOptions { RegistryAddress = TestServices.Registry }, TestServices.Timeout());
        project ??= "p" + Guid.NewGuid().ToString("N")[..10];
        simulator.State.CreateProject(project, metadata);
        var workDir = Path.Combine(Path.GetTempPath(), "hb-harbor-it-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workDir);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = simulator.Url.ToString(),
            ["HarborBridge:Harbor:Username"] = User,
            ["HarborBridge:Harbor:Password"] = Password,
            ["HarborBridge:Harbor:RetryBaseDelay"] = "00:00:00.050",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddHarborClients(configuration).BuildServiceProvider();
        return new SimulatorSession(simulator, project, workDir, services);
    }

    /// <summary>Builds a unique image and pushes it through the simulator with skopeo.</summary>
    public async Task<OciLayoutImage> PushImageAsync(string repository, string tag, CancellationToken cancellationToken)
    {
        var image = OciLayoutImage.Create(Path.Combine(WorkDir, Guid.NewGuid().ToString("N")));
        await image.PushAsync($"{Simulator.RegistryHost}/{Project}/{repository}:{tag}", WorkDir, cancellationToken);
        return image;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Simulator.DisposeAsync();
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean; nothing depends on it.
        }
    }
}
