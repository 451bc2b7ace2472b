using HarborBridge.Contracts;
using HarborBridge.Core.Policy;
using HarborBridge.Persistence;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Policy;

/// <summary>A policy change held back by the reload guard.</summary>
internal sealed record HeldPolicy(string Source, string PolicyVersion, string ContentHash, int NewlyBlocked, int Limit, DateTimeOffset HeldAt);

/// <summary>What <see cref="PolicyProvider"/> asks before a changed policy file comes into force.</summary>
internal interface IPolicyReloadGuard
{
    /// <summary>True when <paramref name="candidate"/> may come into force in place of <paramref name="current"/>. May take
    /// seconds (it previews the change over the stored decisions): the provider calls it outside its lock.</summary>
    bool Admit(PolicyDocument current, PolicyDocument candidate, PolicyInputs inputs, string source, string contentHash);

    /// <summary>True when an admin accepted the change with this content hash.</summary>
    bool IsAccepted(string contentHash);
}

/// <summary>
/// Judges a changed policy file before it comes into force: when the impact preview says it would newly block more decided
/// artifacts than <see cref="PolicyOptions.MaxNewlyBlocked"/>, and no admin accepted that exact file content (the acceptance
/// is in the database, so every replica honours it), the change is held: the last policy stays in force, an operator alert
/// is raised, and <c>/readyz</c> names the held file.
/// </summary>
internal sealed class PolicyReloadGuard(
    SqlPolicyPreviewStore store,
    IServiceProvider services,
    IOptions<PolicyOptions> options,
    TimeProvider time,
    ILogger<PolicyReloadGuard> logger) : IPolicyReloadGuard
{
    private static readonly TimeSpan AcceptancePoll = TimeSpan.FromSeconds(2);
    private readonly Lock _sync = new();
    private (string Hash, DateTimeOffset At, bool Accepted)? _lastLook;

    /// <summary>The change held back now, if any (null once it is accepted or replaced).</summary>
    public HeldPolicy? Held { get; private set; }

    /// <summary>True when <paramref name="candidate"/> may come into force in place of <paramref name="current"/>.</summary>
    public bool Admit(PolicyDocument current, PolicyDocument candidate, PolicyInputs inputs, string source, string contentHash)
    {
        Held = null;
        if (candidate.PolicyVersion == current.PolicyVersion || Accepted(contentHash, force: true))
        {
            return true;
        }

        PolicyImpact impact;
        try
        {
            // Resolved here: the preview service reads the policy provider, which holds this guard.
            impact = services.GetRequiredService<PolicyPreviewService>().PreviewAsync(candidate, inputs, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            logger.LogError("The impact of policy {PolicyFile} version {PolicyVersion} could not be computed ({Problem}); it comes into force unguarded",
                source, candidate.PolicyVersion, e.Message);
            return true;
        }

        var blocked = impact.Count(PreviewChange.Blocked);
        var limit = options.Value.MaxNewlyBlocked;
        if (blocked <= limit)
        {
            return true;
        }

        Held = new HeldPolicy(source, candidate.PolicyVersion, contentHash, blocked, limit, time.GetUtcNow());
        logger.LogError("Policy {PolicyFile} version {PolicyVersion} would newly block {NewlyBlocked} artifact(s), more than {Limit} " +
            "(HarborBridge:Policy:MaxNewlyBlocked); the previous policy stays in force until an admin accepts it", source, candidate.PolicyVersion, blocked, limit);
        RaiseAlert(Held);
        return false;
    }

    /// <summary>True when an admin accepted this content (looked up in the database at most every two seconds).</summary>
    public bool IsAccepted(string contentHash)
    {
        var accepted = Accepted(contentHash, force: false);
        if (accepted)
        {
            Held = null;
        }

        return accepted;
    }

    /// <summary>Called when this process stored an acceptance: the next look reads the database again.</summary>
    public void AcceptanceStored()
    {
        lock (_sync)
        {
            _lastLook = null;
        }
    }

    private bool Accepted(string contentHash, bool force)
    {
        var now = time.GetUtcNow();
        lock (_sync)
        {
            if (!force && _lastLook is { } look && look.Hash == contentHash && now - look.At < AcceptancePoll)
            {
                return look.Accepted;
            }
        }

        bool accepted;
        try
        {
            accepted = store.GetAcceptanceAsync(contentHash, CancellationToken.None).GetAwaiter().GetResult() is not null;
        }
        catch (System.Data.Common.DbException e)
        {
            // Decisions go on under the policy in force; the next look asks again.
            logger.LogWarning("Could not read policy acceptances ({Problem}); the held policy stays held for now", e.Message);
            return false;
        }

        lock (_sync)
        {
            _lastLook = (contentHash, now, accepted);
        }

        return accepted;
    }

    private void RaiseAlert(HeldPolicy held)
    {
        if (services.GetService<IBus>() is not { } bus)
        {
            return;
        }

        var alert = new OperatorAlertRaised($"policy-impact:{held.ContentHash}", "policy",
            $"Policy change held: it would newly block {held.NewlyBlocked} artifact(s) (limit {held.Limit})",
            $"{held.Source} (version {held.PolicyVersion}) is not in force; the previous policy still decides. Review it with " +
            $"`harborbridge policy preview --policy FILE`, then accept it with `harborbridge policy apply --policy FILE --accept-impact {held.NewlyBlocked}` " +
            "or POST /api/v1/policy/accept, or restore the previous file.", null, held.HeldAt);
        // Not awaited: the guard runs while the policy lock is held, and a broker outage must not stall decisions.
        _ = bus.Publish(alert).ContinueWith(t => logger.LogWarning("The operator alert for the held policy could not be published: {Problem}",
            t.Exception?.GetBaseException().Message), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }
}
