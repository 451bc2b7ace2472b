using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;

namespace HarborBridge.Core.Quarantine;

/// <summary>Where a quarantine step stands.</summary>
public static class QuarantineStepStatus
{
    /// <summary>In force; release must undo it.</summary>
    public const string Applied = "Applied";

    /// <summary>Undone by a release.</summary>
    public const string Released = "Released";

    /// <summary>The artifact was deleted in Harbor meanwhile: nothing left to apply or undo.</summary>
    public const string Gone = "Gone";
}

/// <summary>One strategy applied to one artifact, with the exact state it replaced (<see cref="PriorJson"/>, one of
/// the <c>*Prior</c> records serialised) so that a release can put it back.</summary>
public sealed record QuarantineStep(
    ArtifactRef Artifact,
    string Strategy,
    string DecisionId,
    string Status,
    string PriorJson,
    string? Detail,
    DateTimeOffset AppliedAt,
    DateTimeOffset? ReleasedAt);

/// <summary>Before <c>unsign</c>: how many of HarborBridge's signature/attestation layers and Sigstore bundle referrers
/// were removed (records written before bundles were removed have no <paramref name="BundlesRemoved"/>: 0).</summary>
public sealed record UnsignPrior(int SignaturesRemoved, int AttestationsRemoved, int BundlesRemoved = 0);

/// <summary>Before <c>label</c>: which label, on which repository, and whether it was attached already.</summary>
public sealed record LabelPrior(string Project, string Repository, long LabelId, bool WasAttached, bool Created);

/// <summary>Before <c>move</c>: the tags the artifact had, and where the copy went.</summary>
public sealed record MovePrior(string QuarantineProject, string QuarantineRepository, IReadOnlyList<string> Tags);

/// <summary>A project's pull-check settings before HarborBridge changed them (null value = key absent).
/// <paramref name="ReuseSystemAllowlist"/> is null in priors recorded before HarborBridge kept that key; such a prior
/// leaves the key alone.</summary>
public sealed record ProjectSettingsPrior(string? PreventVul, string? Severity, HarborCveAllowlist? Allowlist, ReuseSystemAllowlist? ReuseSystemAllowlist = null);

/// <summary>The project's <c>reuse_sys_cve_allowlist</c> value (null = the key is absent, which Harbor reads as "true").</summary>
public sealed record ReuseSystemAllowlist(string? Value);

/// <summary>Persistence port for quarantine steps and the project settings they replaced.</summary>
public interface IQuarantineStore
{
    /// <summary>Every step ever recorded for the artifact (one per strategy; the latest application).</summary>
    Task<IReadOnlyList<QuarantineStep>> GetStepsAsync(ArtifactRef artifact, CancellationToken cancellationToken);

    /// <summary>Steps still <see cref="QuarantineStepStatus.Applied"/> for a digest, in any project/repository.</summary>
    Task<IReadOnlyList<QuarantineStep>> GetAppliedByDigestAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the step for (artifact, strategy).</summary>
    Task SaveStepAsync(QuarantineStep step, CancellationToken cancellationToken);

    /// <summary>Other artifacts in <paramref name="project"/> with an applied step of <paramref name="strategy"/>.</summary>
    Task<int> CountAppliedAsync(string project, string strategy, ArtifactRef except, CancellationToken cancellationToken);

    /// <summary>Keeps the project's settings as they were before the first quarantine touched them; false (and
    /// nothing stored) when a prior is kept already.</summary>
    Task<bool> CaptureProjectPriorAsync(string project, ProjectSettingsPrior prior, DateTimeOffset at, CancellationToken cancellationToken);

    Task<ProjectSettingsPrior?> GetProjectPriorAsync(string project, CancellationToken cancellationToken);

    /// <summary>The projects whose settings are kept (those where <c>prevent-pull</c> is in force), by name.</summary>
    Task<IReadOnlyList<string>> ListPriorProjectsAsync(CancellationToken cancellationToken);

    Task DeleteProjectPriorAsync(string project, CancellationToken cancellationToken);
}
