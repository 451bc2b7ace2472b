using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Hosting;
using HarborBridge.IntegrationTests.Infrastructure;
using HarborBridge.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace HarborBridge.IntegrationTests.Persistence;

/// <summary>The same schema and the same behaviour on SQLite (embedded default) and real PostgreSQL.</summary>
public sealed class ArtifactStoreTests
{
    private static async Task<(IArtifactStore Store, IAsyncDisposable Cleanup)> CreateAsync(string provider)
    {
        var (services, cleanup) = await CreateServicesAsync(provider);
        return (services.GetRequiredService<IArtifactStore>(), cleanup);
    }

    /// <summary>Persistence on a fresh, migrated database of <paramref name="provider"/> (also for other stores' tests).</summary>
    internal static async Task<(IServiceProvider Services, IAsyncDisposable Cleanup)> CreateServicesAsync(string provider)
    {
        PostgresDatabase? database = null;
        string connectionString;
        string? file = null;
        if (provider == "Postgres")
        {
            database = await PostgresDatabase.CreateAsync();
            connectionString = database.ConnectionString;
        }
        else
        {
            file = Path.Combine(Path.GetTempPath(), $"hb-store-{Guid.NewGuid():N}.db");
            connectionString = $"Data Source={file}";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Database:Provider"] = provider,
            ["HarborBridge:Database:ConnectionString"] = connectionString,
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddPersistence()
            .BuildServiceProvider();
        var migrator = services.GetRequiredService<SchemaMigrator>();
        await migrator.MigrateAsync(default);
        await migrator.MigrateAsync(default); // applying twice is harmless (several replicas start at once)
        return (services, new Cleanup(async () =>
        {
            await services.DisposeAsync();
            if (database is not null)
            {
                await database.DisposeAsync();
            }

            if (file is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                File.Delete(file);
            }
        }));
    }

    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task RecordEvent_PushThenRetagThenRedelivery_KeepsOneArtifactWithBothTags(string provider)
    {
        var (store, cleanup) = await CreateAsync(provider);
        await using var _ = cleanup;
        var artifact = new ArtifactRef("web", "frontend/app", NewDigest());
        var pushedAt = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.True(await store.RecordEventAsync(new ArtifactEvent("e1", "PUSH_ARTIFACT", "web", "frontend/app", artifact.Digest, "v1", "alice", pushedAt, null),
            new ArtifactObservation(artifact, "v1", "alice", pushedAt, false), default));
        Assert.True(await store.RecordEventAsync(new ArtifactEvent("e2", "PUSH_ARTIFACT", "web", "frontend/app", artifact.Digest, "latest", "bob", pushedAt.AddMinutes(5), null),
            new ArtifactObservation(artifact, "latest", "bob", pushedAt.AddMinutes(5), false), default));
        Assert.False(await store.RecordEventAsync(new ArtifactEvent("e2", "PUSH_ARTIFACT", "web", "frontend/app", artifact.Digest, "other", "mallory", pushedAt.AddMinutes(9), null),
            new ArtifactObservation(artifact, "other", "mallory", pushedAt.AddMinutes(9), false), default));

        var record = Assert.Single(await store.FindByDigestAsync(artifact.Digest, default));
        Assert.Equal(artifact, record.Artifact);
        Assert.Equal("alice", record.Pusher);
        Assert.Equal(pushedAt, record.PushedAt);
        Assert.Equal(["v1", "latest"], record.Tags);
        Assert.Equal(ArtifactStates.Received, record.State);
        var events = await store.GetEventsAsync(artifact.Digest, default);
        Assert.Equal(["e1", "e2"], events.Select(e => e.EventId));
        Assert.Equal(pushedAt, events[0].OccurredAt);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task RecordEvent_Delete_MarksDeletedAndList_FiltersByStateAndProject(string provider)
    {
        var (store, cleanup) = await CreateAsync(provider);
        await using var _ = cleanup;
        var a = new ArtifactRef("alpha", "svc", NewDigest());
        var b = new ArtifactRef("beta", "svc", NewDigest());
        var t = new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
        await store.RecordEventAsync(new ArtifactEvent("p-a", "PUSH_ARTIFACT", "alpha", "svc", a.Digest, null, "ci", t, null), new ArtifactObservation(a, null, "ci", t, false), default);
        await store.RecordEventAsync(new ArtifactEvent("p-b", "PUSH_ARTIFACT", "beta", "svc", b.Digest, null, "ci", t, null), new ArtifactObservation(b, null, "ci", t, false), default);
        await store.RecordEventAsync(new ArtifactEvent("d-a", "DELETE_ARTIFACT", "alpha", "svc", a.Digest, null, "admin", t.AddHours(1), null), new ArtifactObservation(a, null, null, null, true), default);

        Assert.NotNull(Assert.Single(await store.FindByDigestAsync(a.Digest, default)).DeletedAt);
        Assert.Null(Assert.Single(await store.FindByDigestAsync(b.Digest, default)).DeletedAt);
        Assert.Equal([b], (await store.ListAsync(ArtifactStates.Received, "beta", 10, 0, default)).Select(r => r.Artifact));
        Assert.Empty(await store.ListAsync(ArtifactStates.Quarantined, null, 10, 0, default));
        Assert.Equal(3, await store.CountEventsAsync(default));
    }

    private sealed class Cleanup(Func<Task> action) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await action();
    }
}
