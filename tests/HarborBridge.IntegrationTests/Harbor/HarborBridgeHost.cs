using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HarborBridge.IntegrationTests.Harbor;

/// <summary>The real HarborBridge (Program) in-process: in-memory transport, a throw-away SQLite file, and the
/// webhook auth header the simulator's policy will send.</summary>
internal sealed class HarborBridgeHost : WebApplicationFactory<Program>
{
    public const string AuthHeader = "Bearer simulator-shared-secret";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hb-host-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        builder.UseSetting("HarborBridge:Webhook:AuthHeader", AuthHeader);
        builder.UseSetting("HarborBridge:Transport", "InMemory");
        builder.UseSetting("HarborBridge:Database:Provider", "Sqlite");
        builder.UseSetting("HarborBridge:Database:ConnectionString", $"Data Source={Path.Combine(_directory, "hb.db")}");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file briefly; the OS cleans temp.
        }
    }
}
