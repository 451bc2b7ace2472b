using HarborBridge.Hosting;
using HarborBridge.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.UnitTests;

/// <summary>
/// Consumers under test with real stores on a fresh SQLite file in a temporary folder and MassTransit's in-memory test
/// harness. The test adds its own services and consumers; the folder is deleted on dispose.
/// </summary>
internal sealed class SqliteHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private SqliteHarness(string dir, ServiceProvider provider, ITestHarness harness)
    {
        Dir = dir;
        _provider = provider;
        Harness = harness;
    }

    /// <summary>The temporary folder (policy and routing files go here too).</summary>
    public string Dir { get; }

    public ITestHarness Harness { get; }

    public IServiceProvider Services => _provider;

    /// <summary>A new folder for <see cref="StartAsync"/>; write the files the services read into it first.</summary>
    public static string NewFolder(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"hb-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static async Task<SqliteHarness> StartAsync(
        string dir,
        Action<IServiceCollection> services,
        Action<IBusRegistrationConfigurator> bus,
        TimeSpan? inactivityTimeout = null)
    {
        DateTimeOffsetHandler.Register();
        var collection = new ServiceCollection()
            .AddLogging()
            .Configure<DatabaseOptions>(o => o.ConnectionString = $"Data Source={Path.Combine(dir, "hb.db")}")
            .AddSingleton<DbConnectionFactory>()
            .AddSingleton<HarborBridge.Hosting.PipelineMetrics>()
            .AddSingleton<SchemaMigrator>();
        services(collection);
        collection.AddMassTransitTestHarness(x =>
        {
            x.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(30), testInactivityTimeout: inactivityTimeout ?? TimeSpan.FromSeconds(5));
            bus(x);
        });
        var provider = collection.BuildServiceProvider(true);
        await provider.GetRequiredService<SchemaMigrator>().MigrateAsync(CancellationToken.None);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return new SqliteHarness(dir, provider, harness);
    }

    public T Get<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
