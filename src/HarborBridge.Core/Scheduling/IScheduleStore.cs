using HarborBridge.Contracts;

namespace HarborBridge.Core.Scheduling;

/// <summary>An artifact that a rescan found blocking: usable until <paramref name="FixBy"/>.</summary>
public sealed record AtRiskDeadline(ArtifactRef Artifact, string DecisionId, DateTimeOffset FixBy, string Reason, DateTimeOffset CreatedAt, DateTimeOffset? ResolvedAt, string? Resolution);

/// <summary>A decided artifact due for a rescan, with its current state.</summary>
public sealed record RescanCandidate(ArtifactRef Artifact, string State);

/// <summary>Persistence port for the scheduled jobs: watermarks, at-risk deadlines, reminders sent, job runs.</summary>
public interface IScheduleStore
{
    Task<DateTimeOffset?> GetWatermarkAsync(string name, CancellationToken cancellationToken);

    Task SetWatermarkAsync(string name, DateTimeOffset value, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Artifacts in one of <paramref name="states"/> whose last rescan was requested before
    /// <paramref name="requestedBefore"/> (or never), newest push first; marks them requested at <paramref name="at"/>.</summary>
    Task<IReadOnlyList<RescanCandidate>> TakeRescanBatchAsync(IReadOnlyList<string> states, DateTimeOffset requestedBefore, int limit, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Starts (or restarts after a resolution) the deadline of an artifact. False when one is already open.</summary>
    Task<bool> OpenAtRiskAsync(AtRiskDeadline deadline, CancellationToken cancellationToken);

    Task<AtRiskDeadline?> GetAtRiskAsync(ArtifactRef artifact, CancellationToken cancellationToken);

    /// <summary>Open deadlines that passed at <paramref name="now"/>, earliest first.</summary>
    Task<IReadOnlyList<AtRiskDeadline>> FindExpiredAtRiskAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Closes an open deadline (<c>fixed</c>, <c>quarantined</c>, …). False when it was not open.</summary>
    Task<bool> ResolveAtRiskAsync(ArtifactRef artifact, string resolution, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Records that a reminder went out; false when one with this key was recorded before.</summary>
    Task<bool> TryRecordReminderAsync(string key, string exceptionId, string scope, string kind, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Of <paramref name="digests"/> in one repository, those HarborBridge has a record of.</summary>
    Task<IReadOnlySet<string>> KnownDigestsAsync(string project, string repository, IReadOnlyCollection<string> digests, CancellationToken cancellationToken);

    /// <summary>Live artifacts in the given states (for exception scopes), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<RescanCandidate>> ListInStatesAsync(IReadOnlyList<string> states, int limit, CancellationToken cancellationToken);

    Task RecordJobRunAsync(string fireInstanceId, string jobName, DateTimeOffset scheduledAt, DateTimeOffset firedAt, string instance, CancellationToken cancellationToken);
}
