using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;

namespace HarborBridge.History;

/// <summary>Whether a DELETE_ARTIFACT event is true: the artifact is gone from Harbor. Chosen once at start: with Harbor
/// configured HarborBridge asks it; without (record-only mode) nothing is quarantined or signed, so the event is taken as sent.</summary>
internal interface IDeletionCheck
{
    /// <summary>Null when the deletion is believed: the artifact is gone, or Harbor has it from a push later than the one
    /// HarborBridge recorded (read with <paramref name="recordedPushAt"/>, only when Harbor still has the artifact: deleted
    /// and pushed again; the push event revives it), or Harbor cannot be asked. Otherwise why the event is not believed.
    /// Only Harbor's own times are compared: the event's <c>occur_at</c> is whatever its sender wrote.</summary>
    Task<string?> StillPresentAsync(ArtifactRef artifact, Func<CancellationToken, Task<DateTimeOffset?>> recordedPushAt, CancellationToken cancellationToken);
}

/// <summary>Asks Harbor for the artifact; a forged DELETE_ARTIFACT (someone holding the webhook secret) finds it still there
/// from the push HarborBridge knows.</summary>
internal sealed class HarborDeletionCheck(IServiceProvider services) : IDeletionCheck
{
    /// <summary>Harbor's <c>occur_at</c>, which HarborBridge records as the push time, has whole seconds; its <c>push_time</c> has
    /// milliseconds.</summary>
    private static readonly TimeSpan Precision = TimeSpan.FromSeconds(1);

    public async Task<string?> StillPresentAsync(
        ArtifactRef artifact, Func<CancellationToken, Task<DateTimeOffset?>> recordedPushAt, CancellationToken cancellationToken)
    {
        var found = await services.GetRequiredService<IHarborClient>().GetArtifactAsync(artifact.Project, artifact.Repository, artifact.Digest, cancellationToken);
        if (found is null)
        {
            return null;
        }

        return found.PushTime is { } pushed && await recordedPushAt(cancellationToken) is { } known && pushed >= known + Precision
            ? null
            : $"Harbor still has the artifact from the push HarborBridge recorded ({Time(found.PushTime)})";
    }

    private static string Time(DateTimeOffset? at) => at?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "push time unknown";
}

/// <summary>Record-only mode: no Harbor to ask.</summary>
internal sealed class UncheckedDeletion : IDeletionCheck
{
    public Task<string?> StillPresentAsync(
        ArtifactRef artifact, Func<CancellationToken, Task<DateTimeOffset?>> recordedPushAt, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);
}
