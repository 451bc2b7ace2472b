using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.IntegrationTests.Persistence;

/// <summary>Migration 0004 and the quarantine store behave the same on SQLite and PostgreSQL.</summary>
public sealed class QuarantineStoreTests
{
    private static readonly ArtifactRef A = new("alpha", "svc", "sha256:" + new string('a', 64));
    private static readonly ArtifactRef B = new("alpha", "web", "sha256:" + new string('b', 64));

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Steps_SavedReplacedAndCounted(string provider)
    {
        var (services, cleanup) = await ArtifactStoreTests.CreateServicesAsync(provider);
        await using var _ = cleanup;
        var store = new SqlQuarantineStore(services.GetRequiredService<DbConnectionFactory>());
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

        await store.SaveStepAsync(new QuarantineStep(A, QuarantineStrategies.PreventPull, "d1", QuarantineStepStatus.Applied, "{}", "set", at, null), default);
        await store.SaveStepAsync(new QuarantineStep(B, QuarantineStrategies.PreventPull, "d2", QuarantineStepStatus.Applied, "{}", "set", at, null), default);
        await store.SaveStepAsync(new QuarantineStep(A, QuarantineStrategies.Label, "d1", QuarantineStepStatus.Applied, "{\"labelId\":4}", "label", at, null), default);

        Assert.Equal(1, await store.CountAppliedAsync("alpha", QuarantineStrategies.PreventPull, A, default));
        Assert.Equal(2, (await store.GetStepsAsync(A, default)).Count);

        await store.SaveStepAsync(new QuarantineStep(B, QuarantineStrategies.PreventPull, "d2", QuarantineStepStatus.Released, "{}", "restored", at, at.AddHours(1)), default);

        Assert.Equal(0, await store.CountAppliedAsync("alpha", QuarantineStrategies.PreventPull, A, default));
        var replaced = Assert.Single(await store.GetStepsAsync(B, default));
        Assert.Equal((QuarantineStepStatus.Released, "restored", at.AddHours(1)), (replaced.Status, replaced.Detail, replaced.ReleasedAt!.Value));
        Assert.Equal([QuarantineStrategies.Label, QuarantineStrategies.PreventPull], (await store.GetAppliedByDigestAsync(A.Digest, default)).Select(s => s.Strategy).Order());
        Assert.Empty(await store.GetAppliedByDigestAsync(B.Digest, default));
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task ProjectPrior_FirstCaptureWins_UntilDeleted(string provider)
    {
        var (services, cleanup) = await ArtifactStoreTests.CreateServicesAsync(provider);
        await using var _ = cleanup;
        var store = new SqlQuarantineStore(services.GetRequiredService<DbConnectionFactory>());
        var original = new ProjectSettingsPrior(null, "low", new HarborCveAllowlist(7, DateTimeOffset.FromUnixTimeSeconds(1_900_000_000), ["CVE-2000-0001"]));
        var later = new ProjectSettingsPrior("true", "critical", null);

        Assert.True(await store.CaptureProjectPriorAsync("alpha", original, DateTimeOffset.UnixEpoch, default));
        Assert.False(await store.CaptureProjectPriorAsync("alpha", later, DateTimeOffset.UnixEpoch, default));

        var kept = (await store.GetProjectPriorAsync("alpha", default))!;
        Assert.Equal((null, "low"), (kept.PreventVul, kept.Severity));
        Assert.Equal(["CVE-2000-0001"], kept.Allowlist!.CveIds);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000), kept.Allowlist.ExpiresAt);

        await store.DeleteProjectPriorAsync("alpha", default);

        Assert.Null(await store.GetProjectPriorAsync("alpha", default));
        Assert.True(await store.CaptureProjectPriorAsync("alpha", later, DateTimeOffset.UnixEpoch, default));
    }
}
