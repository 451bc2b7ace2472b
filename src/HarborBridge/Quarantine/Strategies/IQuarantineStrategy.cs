using HarborBridge.Contracts;
using HarborBridge.Core.Policy;
using HarborBridge.Core.Quarantine;

namespace HarborBridge.Quarantine.Strategies;

/// <summary>What a strategy needs to quarantine one artifact for one blocking decision.</summary>
/// <param name="Location">Where the artifact is now (after a move: in the quarantine project).</param>
/// <param name="Tags">The artifact's tags in Harbor when the quarantine started.</param>
/// <param name="QuarantineProject">The quarantine project's state when <c>move</c> applies (made sure of before any step).</param>
internal sealed record QuarantineContext(
    ArtifactBlocked Blocked,
    ArtifactRef Location,
    IReadOnlyList<string> Tags,
    PolicyRules Rules,
    IReadOnlyList<PolicyExceptionRule> Exceptions,
    QuarantineProjectState? QuarantineProject);

/// <summary>A strategy applied: the exact state it replaced (JSON, for the undo), what it did in words, and where the
/// artifact is afterwards when it moved.</summary>
internal sealed record AppliedStrategy(string Prior, string Detail, ArtifactRef? Location = null);

/// <summary>One way of quarantining an artifact, and its undo. Apply records what it replaced so that the undo restores
/// exactly that; both are safe to run again after a crash halfway.</summary>
internal interface IQuarantineStrategy
{
    /// <summary>The name used in the policy (<see cref="QuarantineStrategies"/>).</summary>
    string Name { get; }

    Task<AppliedStrategy> ApplyAsync(QuarantineContext context, CancellationToken cancellationToken);

    Task<(string Status, string Detail)> UndoAsync(ArtifactRef artifact, QuarantineStep step, CancellationToken cancellationToken);
}
