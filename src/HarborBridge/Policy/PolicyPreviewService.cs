using HarborBridge.Core.Policy;
using HarborBridge.Persistence;
using Microsoft.Extensions.Options;

namespace HarborBridge.Policy;

/// <summary>The policy impact preview over the database: streams the decided artifacts page by page and judges each with the
/// candidate (<see cref="PolicyPreview"/>), evaluating a page on every core while the next one is read. Changes nothing.
/// The candidate is judged with the exceptions approved from requests after its own, as the decision path judges the policy
/// in force (<see cref="Decisions.DecisionService.SnapshotAsync"/>).</summary>
internal sealed class PolicyPreviewService(SqlPolicyPreviewStore store, PolicyProvider policies, IGrantedExceptions granted, TimeProvider time,
    IOptions<PolicyOptions> options)
{
    /// <summary>Previews a candidate policy given as YAML text; throws <see cref="PolicyFileException"/> when it is invalid.</summary>
    public Task<PolicyImpact> PreviewAsync(string yaml, CancellationToken cancellationToken)
    {
        var (policy, inputs) = policies.LoadCandidate(yaml);
        return PreviewAsync(policy, inputs, cancellationToken);
    }

    public async Task<PolicyImpact> PreviewAsync(PolicyDocument candidate, PolicyInputs inputs, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var preview = new PolicyPreview(candidate.WithGrantedExceptions(await granted.InForceAsync(now, cancellationToken)), inputs, now);
        Task judging = Task.CompletedTask;
        await foreach (var page in store.ReadDecidedAsync(options.Value.PreviewPageSize, cancellationToken))
        {
            await judging;
            judging = Task.Run(() => Parallel.ForEach(page, new ParallelOptions { CancellationToken = cancellationToken }, preview.Add), cancellationToken);
        }

        await judging;
        return preview.Result();
    }
}
