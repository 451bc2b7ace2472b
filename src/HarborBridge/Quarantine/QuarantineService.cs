using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor.Oci;
using HarborBridge.Persistence;
using HarborBridge.Policy;
using MassTransit;

namespace HarborBridge.Quarantine;

/// <summary>
/// Applies the policy's quarantine strategies to a blocked artifact and undoes them on release. Every strategy is
/// recorded with the exact state it replaced (<see cref="IQuarantineStore"/>); a step already recorded for the same
/// decision is never applied twice, so a redelivered <see cref="ArtifactBlocked"/> changes nothing. Every change is
/// an audited transition. A call Harbor refuses for lack of a permission (403) raises an
/// <see cref="OperatorAlertRaised"/> naming it and leaves the rest for a retry.
/// </summary>
internal sealed partial class QuarantineService(
    IHarborClient harbor,
    IArtifactUnsigner unsigner,
    IArtifactSigner signer,
    IArtifactStore artifacts,
    IQuarantineStore store,
    IDecisionStore decisions,
    PolicyProvider policy,
    QuarantineProjects quarantineProjects,
    TimeProvider time,
    ILogger<QuarantineService> logger)
{
    private const string Actor = "harborbridge";
    private static readonly JsonSerializerOptions Json = SqlQuarantineStore.Json;

    public async Task ApplyAsync(ArtifactBlocked blocked, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocked);
        var a = blocked.Artifact;
        if (!blocked.Enforced)
        {
            LogDryRun(logger, a.Project, a.Repository, a.Digest);
            return;
        }

        // A blocking decision overtaken by a newer one (a release, a newer passing report) applies nothing: the life cycle
        // says whether the artifact is still Quarantined.
        if (await decisions.GetStatusAsync(a, cancellationToken) is { } status
            && ArtifactLifecycle.Next(status, new QuarantineAppliedCause()) is { Allowed: false } refused)
        {
            logger.LogWarning("Not quarantining {Artifact} for decision {DecisionId}: {Refusal}", a, blocked.DecisionId, refused.Refusal);
            Hosting.HarborBridgeMetrics.TransitionsRefused.WithLabels(status.State.ToString(), "quarantine-applied").Inc();
            return;
        }

        var (document, _) = policy.Current;
        var rules = document.Resolve(a.Project, a.Repository).Rules;
        var steps = (await store.GetStepsAsync(a, cancellationToken)).ToDictionary(s => s.Strategy, StringComparer.Ordinal);
        var moved = steps.GetValueOrDefault(QuarantineStrategies.Move) is { Status: QuarantineStepStatus.Applied } m
            ? JsonSerializer.Deserialize<MovePrior>(m.PriorJson, Json)
            : null;
        var location = moved is null ? a : new ArtifactRef(moved.QuarantineProject, moved.QuarantineRepository, a.Digest);
        var current = await harbor.GetArtifactAsync(location.Project, location.Repository, a.Digest, cancellationToken);
        var now = time.GetUtcNow();
        if (current is null)
        {
            await decisions.ApplyAsync(new LifecycleChange(a, new DeletedCause(now), $"{blocked.DecisionId}:quarantine-gone",
                "quarantine not applied: the artifact no longer exists in Harbor", Actor, now), cancellationToken);
            return;
        }

        var applied = new List<string>();
        var changes = new List<string>();
        var redelivered = false;
        var strategies = QuarantineStrategies.InApplyOrder(rules.Quarantine.Strategies);
        // The quarantine project is made sure of before any strategy is applied: when it cannot be created, nothing is
        // changed at all (prevent-pull and unsign come before move and would otherwise stay half-applied).
        var (target, left) = strategies.Contains(QuarantineStrategies.Move) && !IsInForce(QuarantineStrategies.Move)
            ? await EnsureQuarantineProjectAsync(publisher, a, rules.Quarantine.Project, cancellationToken)
            : (null, null);
        foreach (var strategy in strategies)
        {
            if (left is not null)
            {
                break;
            }

            if (IsInForce(strategy))
            {
                applied.Add(strategy);
                redelivered |= steps[strategy].DecisionId == blocked.DecisionId;
                continue;
            }

            try
            {
                var (prior, detail, newLocation) = strategy switch
                {
                    QuarantineStrategies.PreventPull => await PreventPullAsync(a, rules.BlockSeverity, blocked.Findings, document.Exceptions, cancellationToken),
                    QuarantineStrategies.Unsign => await UnsignAsync(a, cancellationToken),
                    QuarantineStrategies.Move => await MoveAsync(a, current.Tags, rules.Quarantine.Project, target, cancellationToken),
                    _ => await LabelAsync(location, rules.Quarantine, cancellationToken),
                };
                location = newLocation ?? location;
                await store.SaveStepAsync(new QuarantineStep(a, strategy, blocked.DecisionId, QuarantineStepStatus.Applied, prior, detail, now, null), cancellationToken);
                applied.Add(strategy);
                changes.Add(detail);
            }
            catch (Exception e) when (HarborPermissions.IsForbidden(e))
            {
                left = $"{strategy} not applied: Harbor refused ({HarborPermissions.For(e)} is missing)";
                await AlertForbiddenAsync(publisher, a, strategy, e, cancellationToken);
                break;
            }
        }

        var again = changes.Count == 0 && left is null;
        if (again)
        {
            if (!redelivered)
            {
                LogNothingToDo(logger, a.Project, a.Repository, a.Digest, blocked.DecisionId);
                return;
            }

            // This decision's steps were all saved before, but ArtifactQuarantined may never have gone out (the broker
            // refused the publish, or the process died before it): announce it again. The transition keeps its id, so it
            // is recorded once; notifications are claimed per decision and delivery, so nobody is told twice.
            changes.AddRange(applied.Select(s => steps[s].Detail ?? s));
        }

        var cause = (changes.Count > 0 ? "quarantine applied: " + string.Join("; ", changes) : "quarantine not applied")
            + (left is null ? "" : "; " + left) + $" (why: {blocked.Reason})";
        await decisions.ApplyAsync(new LifecycleChange(a, new QuarantineAppliedCause(), $"{blocked.DecisionId}:quarantine:{string.Join('+', applied)}",
            cause, Actor, now), cancellationToken);
        if (left is null)
        {
            await publisher.Publish(new ArtifactQuarantined(blocked.DecisionId, a, blocked.Tag, applied, blocked.Reason, blocked.Findings, now), cancellationToken);
            if (!again)
            {
                Hosting.HarborBridgeMetrics.ArtifactQuarantined("policy");
            }

            LogQuarantined(logger, a.Project, a.Repository, a.Digest, string.Join(", ", applied));
        }

        // Applied for this decision already (a redelivery), or still in force from an earlier one.
        bool IsInForce(string strategy) => steps.TryGetValue(strategy, out var step)
            && (step.DecisionId == blocked.DecisionId || step.Status == QuarantineStepStatus.Applied);
    }

    /// <summary>The quarantine project's state, or (null, what was not done) after an operator alert when Harbor refused
    /// to look it up or create it.</summary>
    private async Task<(QuarantineProjectState? State, string? Left)> EnsureQuarantineProjectAsync(
        IPublishEndpoint publisher, ArtifactRef a, string project, CancellationToken cancellationToken)
    {
        try
        {
            return (await quarantineProjects.EnsureAsync(harbor, project, cancellationToken), null);
        }
        catch (Exception e) when (HarborPermissions.IsForbidden(e) || e is HarborApiException { StatusCode: 400 })
        {
            var forbidden = HarborPermissions.IsForbidden(e);
            var permission = HarborPermissions.For(e);
            var problem = forbidden
                ? $"the quarantine project '{project}' does not exist and Harbor refused to create it ({permission} is missing)"
                : $"the quarantine project '{project}' does not exist and Harbor refused to create it: {e.Message}";
            LogQuarantineProjectRefused(logger, project, a.Project, a.Repository, a.Digest, forbidden ? permission : e.Message);
            await publisher.Publish(new OperatorAlertRaised(
                forbidden ? $"harbor-permission:{permission}" : $"quarantine-configuration:{QuarantineStrategies.Move}:{project}", "quarantine",
                forbidden ? $"Harbor refused to create the quarantine project '{project}': missing permission {permission}"
                    : $"Harbor refused to create the quarantine project '{project}'",
                $"Nothing was quarantined. Create the project '{project}' in Harbor (private, prevent_vul true, severity none)"
                    + (forbidden ? $" or give HarborBridge's robot account the system permission '{permission}'" : " or change quarantine.project in the policy")
                    + ", then let the next decision retry.",
                a, time.GetUtcNow()), cancellationToken);
            return (null, $"{QuarantineStrategies.Move} not applied: {problem}; no strategy was applied");
        }
    }

    public async Task<ReleaseOutcome> ReleaseAsync(ReleaseArtifact request, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var digest = request.Artifact.Digest;
        var records = await artifacts.FindByDigestAsync(digest, cancellationToken);
        var applied = await store.GetAppliedByDigestAsync(digest, cancellationToken);
        var targets = records.Where(r => r.State == ArtifactStates.Quarantined).Select(r => r.Artifact)
            .Concat(applied.Select(s => s.Artifact)).Distinct()
            .Where(r => string.IsNullOrEmpty(request.Artifact.Project) || r == request.Artifact)
            .ToList();
        if (targets.Count == 0)
        {
            return new ReleaseOutcome(records.Count == 0 ? ReleaseStatus.Unknown : ReleaseStatus.NotQuarantined, [], [], []);
        }

        var restored = new List<string>();
        var left = new List<string>();
        var released = new List<ArtifactRef>();
        foreach (var artifact in targets)
        {
            var (done, remaining) = await ReleaseOneAsync(artifact, applied.Where(s => s.Artifact == artifact).ToList(), request, publisher, cancellationToken);
            restored.AddRange(done.Select(d => $"{artifact}: {d}"));
            left.AddRange(remaining.Select(r => $"{artifact}: {r}"));
            if (remaining.Count == 0)
            {
                released.Add(artifact);
            }
        }

        return new ReleaseOutcome(left.Count == 0 ? ReleaseStatus.Released : ReleaseStatus.Incomplete, released, restored, left);
    }

    private async Task<(List<string> Done, List<string> Left)> ReleaseOneAsync(
        ArtifactRef a, List<QuarantineStep> steps, ReleaseArtifact request, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var left = new List<string>();
        var order = QuarantineStrategies.InApplyOrder(steps.Select(s => s.Strategy)).Reverse().ToList();
        foreach (var strategy in order)
        {
            var step = steps.Single(s => s.Strategy == strategy);
            if (left.Count > 0)
            {
                left.Add($"{strategy} not undone yet");
                continue;
            }

            try
            {
                var (status, detail) = strategy switch
                {
                    QuarantineStrategies.Label => await UndoLabelAsync(a, step, cancellationToken),
                    QuarantineStrategies.Move => await UndoMoveAsync(a, step, cancellationToken),
                    QuarantineStrategies.PreventPull => await UndoPreventPullAsync(a, cancellationToken),
                    _ => (QuarantineStepStatus.Released, "unsign: the signature is written again after the release"),
                };
                await store.SaveStepAsync(step with { Status = status, Detail = detail, ReleasedAt = time.GetUtcNow() }, cancellationToken);
                done.Add(detail);
            }
            catch (Exception e) when (HarborPermissions.IsForbidden(e))
            {
                left.Add($"{strategy} not undone: Harbor refused ({HarborPermissions.For(e)} is missing)");
                await AlertForbiddenAsync(publisher, a, strategy, e, cancellationToken);
            }
            catch (HarborApiException e) when (e.IsTransient || e.StatusCode is 409 or 412 or 500)
            {
                left.Add($"{strategy} not undone: {e.Message}");
            }
        }

        ArtifactSignature? signature = null;
        if (left.Count == 0 && signer.IsEnabled && await harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken) is not null)
        {
            // Signed before the release is recorded: if signing fails the artifact stays Quarantined and a retry signs again.
            try
            {
                // The attestation names the release and the policy/report of the artifact's latest decision.
                var latest = (await decisions.GetDecisionsAsync(a.Digest, cancellationToken)).Where(d => d.Artifact == a).MaxBy(d => d.DecidedAt);
                signature = await signer.SignAsync(a, new SigningDecision(request.RequestId, ArtifactStates.Released,
                    latest?.PolicyVersion ?? "", latest?.ReportDigest ?? "", time.GetUtcNow()), cancellationToken);
                var check = await signer.VerifyAsync(a, cancellationToken);
                if (!check.Verified)
                {
                    left.Add($"sign again: the new signature does not verify ({check.Explanation})");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                left.Add($"sign again: {e.Message}");
            }
        }

        var now = time.GetUtcNow();
        var why = $"{request.Cause} release by {request.Actor}: {request.Reason}";
        if (left.Count > 0)
        {
            await decisions.ApplyAsync(new LifecycleChange(a, new AuditNoteCause(), $"{request.RequestId}:{a}:release-incomplete:{done.Count}",
                $"{why}; restored: {Join(done)}; left (retry the release): {Join(left)}", request.Actor, now), cancellationToken);
            return (done, left);
        }

        await decisions.ApplyAsync(new LifecycleChange(a, new ReleaseCause(request.Actor), $"{request.RequestId}:{a}:released",
            $"{why}; restored: {Join(done)}", request.Actor, now), cancellationToken);
        if (signature is not null)
        {
            await decisions.ApplyAsync(new LifecycleChange(a, new SignedAfterReleaseCause(), $"{request.RequestId}:{a}:signed",
                $"signed again after the release ({signature.SignatureReference})", Actor, time.GetUtcNow()), cancellationToken);
            done.Add("signed again");
            await publisher.Publish(new ArtifactSigned(request.RequestId, a, signature.SignatureReference, signature.KeyId, time.GetUtcNow()), cancellationToken);
        }

        await publisher.Publish(new ArtifactReleased(request.RequestId, a, request.Actor, request.Reason, request.Cause, now), cancellationToken);
        Hosting.HarborBridgeMetrics.ArtifactReleased(request.Cause);
        LogReleased(logger, a.Project, a.Repository, a.Digest, request.Actor, request.Cause);
        return (done, left);
    }

    private static string Join(List<string> items) => items.Count == 0 ? "nothing" : string.Join("; ", items);

    // ---- strategies ---------------------------------------------------------------------------------------------

    private async Task<(string Prior, string Detail, ArtifactRef? Location)> PreventPullAsync(
        ArtifactRef a, Core.Findings.Severity? blockSeverity, IReadOnlyList<DecidingFinding> findings,
        IReadOnlyList<Core.Policy.PolicyExceptionRule> exceptions, CancellationToken cancellationToken)
    {
        var project = await harbor.GetProjectAsync(a.Project, cancellationToken)
            ?? throw new HarborApiException("get project", 404, [new HarborError("NOT_FOUND", $"project {a.Project} not found")], null);
        var seen = new ProjectSettingsPrior(project.Metadata.GetValueOrDefault(HarborProjectMetadata.PreventVulnerable),
            project.Metadata.GetValueOrDefault(HarborProjectMetadata.Severity), project.CveAllowlist);
        await store.CaptureProjectPriorAsync(a.Project, seen, time.GetUtcNow(), cancellationToken);
        var original = await store.GetProjectPriorAsync(a.Project, cancellationToken) ?? seen;

        var threshold = PullCheckSettings.Threshold(blockSeverity, findings);
        // Another quarantined artifact may need a stricter threshold already: keep the stricter of the two.
        if (seen.PreventVul == "true" && seen.Severity is { } existing && await store.CountAppliedAsync(a.Project, QuarantineStrategies.PreventPull, a, cancellationToken) > 0
            && Rank(existing) < Rank(threshold))
        {
            threshold = existing;
        }

        var allowlist = PullCheckSettings.Allowlist(original.Allowlist, exceptions, a.Project, time.GetUtcNow());
        var metadata = new Dictionary<string, string>
        {
            [HarborProjectMetadata.PreventVulnerable] = "true",
            [HarborProjectMetadata.Severity] = threshold,
        };
        await harbor.UpdateProjectAsync(a.Project, new HarborProjectUpdate(metadata, allowlist), cancellationToken);
        var mirrored = allowlist is null ? "" : $", CVE allowlist {allowlist.CveIds.Count} id(s) until {allowlist.ExpiresAt?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "no expiry"}";
        return (JsonSerializer.Serialize(seen, Json),
            $"prevent-pull: project {a.Project} prevent_vul {seen.PreventVul ?? "(unset)"} -> true, severity {seen.Severity ?? "(unset)"} -> {threshold}{mirrored}", null);
    }

    /// <summary>Writes the CVE allowlist of every project where <c>prevent-pull</c> is in force again from the policy in
    /// force now (exceptions granted, changed or removed since it was applied); a project whose list is right already
    /// is not written. Returns the projects written.</summary>
    public async Task<IReadOnlyList<string>> RefreshAllowlistsAsync(CancellationToken cancellationToken)
    {
        var exceptions = policy.Current.Policy.Exceptions;
        var written = new List<string>();
        foreach (var project in await store.ListPriorProjectsAsync(cancellationToken))
        {
            var prior = await store.GetProjectPriorAsync(project, cancellationToken);
            var current = prior is null ? null : await harbor.GetProjectAsync(project, cancellationToken);
            if (prior is null || current is null)
            {
                continue; // released meanwhile, or the project is gone (its release records that)
            }

            // No project-wide exception left to mirror: the list the project had before the quarantine.
            var wanted = PullCheckSettings.Allowlist(prior.Allowlist, exceptions, project, time.GetUtcNow())
                ?? prior.Allowlist ?? new HarborCveAllowlist(0, null, []);
            var have = current.CveAllowlist ?? new HarborCveAllowlist(0, null, []);
            if (have.ExpiresAt == wanted.ExpiresAt && have.CveIds.Order(StringComparer.Ordinal).SequenceEqual(wanted.CveIds.Order(StringComparer.Ordinal)))
            {
                continue;
            }

            await harbor.UpdateProjectAsync(project, new HarborProjectUpdate(null, wanted), cancellationToken);
            if (await store.GetProjectPriorAsync(project, cancellationToken) is null)
            {
                // A release restored the project between the reads above and this write: put its list back again.
                await harbor.UpdateProjectAsync(project, new HarborProjectUpdate(null, prior.Allowlist ?? new HarborCveAllowlist(0, null, [])), cancellationToken);
                continue;
            }

            LogAllowlistRefreshed(logger, project, wanted.CveIds.Count);
            written.Add(project);
        }

        return written;
    }

    private static int Rank(string severity) => Array.IndexOf(["none", "low", "medium", "high", "critical"], severity);

    private async Task<(string Prior, string Detail, ArtifactRef? Location)> UnsignAsync(ArtifactRef a, CancellationToken cancellationToken)
    {
        var removal = await unsigner.RemoveOwnSignaturesAsync(a, cancellationToken);
        return (JsonSerializer.Serialize(new UnsignPrior(removal.SignaturesRemoved, removal.AttestationsRemoved, removal.BundlesRemoved), Json),
            $"unsign: removed {removal.SignaturesRemoved} signature(s), {removal.AttestationsRemoved} attestation(s) and {removal.BundlesRemoved} Sigstore bundle referrer(s) by HarborBridge's key, kept {removal.OthersKept} of other signers",
            null);
    }

    private async Task<(string Prior, string Detail, ArtifactRef? Location)> MoveAsync(
        ArtifactRef a, IReadOnlyList<string> tags, string quarantineProject, QuarantineProjectState? projectState, CancellationToken cancellationToken)
    {
        var target = new ArtifactRef(quarantineProject, $"{a.Project}/{a.Repository}", a.Digest);
        try
        {
            await harbor.CopyArtifactAsync(target.Project, target.Repository, a.Project, a.Repository, a.Digest, cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode == 409)
        {
            // Copied before (a retry after a crash between copy and delete).
        }
        catch (HarborApiException e) when (e.StatusCode == 404)
        {
            // The quarantine project may have been deleted since it was looked up: the retry looks it up (or creates it) again.
            quarantineProjects.Forget(quarantineProject);
            throw;
        }

        try
        {
            await harbor.DeleteArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode == 404)
        {
            // Deleted already.
        }

        var created = projectState switch
        {
            QuarantineProjectState.Created => $"created the quarantine project {quarantineProject} (private, prevent_vul true, severity none), ",
            QuarantineProjectState.CreatedByAnother => $"quarantine project {quarantineProject} created meanwhile by another replica, ",
            _ => "",
        };
        return (JsonSerializer.Serialize(new MovePrior(target.Project, target.Repository, tags), Json),
            $"move: {created}copied to {target.Project}/{target.Repository} and deleted from {a.Project}/{a.Repository} (tags kept in the record: {(tags.Count == 0 ? "none" : string.Join(", ", tags))})",
            target);
    }

    private async Task<(string Prior, string Detail, ArtifactRef? Location)> LabelAsync(ArtifactRef at, QuarantineSettings settings, CancellationToken cancellationToken)
    {
        long? projectId = null;
        if (settings.LabelScope == LabelScope.Project)
        {
            projectId = (await harbor.GetProjectAsync(at.Project, cancellationToken))?.ProjectId
                ?? throw new HarborApiException("get project", 404, [new HarborError("NOT_FOUND", $"project {at.Project} not found")], null);
        }

        var scope = settings.LabelScope == LabelScope.Project ? "p" : "g";
        var created = false;
        var id = (await harbor.FindLabelsAsync(settings.Label, scope, projectId, cancellationToken)).FirstOrDefault()?.Id;
        if (id is null)
        {
            try
            {
                id = await harbor.CreateLabelAsync(new NewHarborLabel(settings.Label, "Quarantined by HarborBridge: the artifact failed the policy", "#C92100", scope, projectId), cancellationToken);
                created = true;
            }
            catch (HarborApiException e) when (e.StatusCode == 409)
            {
                // Another worker created it meanwhile.
                id = (await harbor.FindLabelsAsync(settings.Label, scope, projectId, cancellationToken)).First().Id;
            }
        }

        var artifact = await harbor.GetArtifactAsync(at.Project, at.Repository, at.Digest, cancellationToken);
        var wasAttached = artifact?.Labels.Any(l => l.Id == id) == true;
        if (!wasAttached)
        {
            await harbor.AddLabelAsync(at.Project, at.Repository, at.Digest, id.Value, cancellationToken);
        }

        return (JsonSerializer.Serialize(new LabelPrior(at.Project, at.Repository, id.Value, wasAttached, created), Json),
            $"label: '{settings.Label}' ({(scope == "g" ? "global" : "project")} label {id}{(created ? ", created" : "")}) {(wasAttached ? "was attached already" : "attached")} on {at.Project}/{at.Repository}",
            null);
    }

    private async Task<(string Status, string Detail)> UndoLabelAsync(ArtifactRef a, QuarantineStep step, CancellationToken cancellationToken)
    {
        var prior = JsonSerializer.Deserialize<LabelPrior>(step.PriorJson, Json)!;
        if (prior.WasAttached)
        {
            return (QuarantineStepStatus.Released, $"label: left on {prior.Project}/{prior.Repository}, it was attached before the quarantine");
        }

        var removed = await harbor.RemoveLabelAsync(prior.Project, prior.Repository, a.Digest, prior.LabelId, cancellationToken);
        return (QuarantineStepStatus.Released, removed ? $"label: removed from {prior.Project}/{prior.Repository}" : "label: was no longer attached");
    }

    private async Task<(string Status, string Detail)> UndoMoveAsync(ArtifactRef a, QuarantineStep step, CancellationToken cancellationToken)
    {
        var prior = JsonSerializer.Deserialize<MovePrior>(step.PriorJson, Json)!;
        var inQuarantine = await harbor.GetArtifactAsync(prior.QuarantineProject, prior.QuarantineRepository, a.Digest, cancellationToken);
        var back = await harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        if (inQuarantine is null && back is null)
        {
            return (QuarantineStepStatus.Gone, $"move: the copy in {prior.QuarantineProject}/{prior.QuarantineRepository} was deleted meanwhile; nothing to move back");
        }

        if (back is null)
        {
            await harbor.CopyArtifactAsync(a.Project, a.Repository, prior.QuarantineProject, prior.QuarantineRepository, a.Digest, cancellationToken);
            back = await harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        }

        if (inQuarantine is not null)
        {
            try
            {
                await harbor.DeleteArtifactAsync(prior.QuarantineProject, prior.QuarantineRepository, a.Digest, cancellationToken);
            }
            catch (HarborApiException e) when (e.StatusCode == 404)
            {
                // Deleted already.
            }
        }

        var missing = prior.Tags.Except(back?.Tags ?? []).ToList();
        return (QuarantineStepStatus.Released, $"move: back in {a.Project}/{a.Repository} with tags {(prior.Tags.Count == 0 ? "(none)" : string.Join(", ", prior.Tags))}"
            + (missing.Count == 0 ? "" : $" (missing: {string.Join(", ", missing)})"));
    }

    private async Task<(string Status, string Detail)> UndoPreventPullAsync(ArtifactRef a, CancellationToken cancellationToken)
    {
        var others = await store.CountAppliedAsync(a.Project, QuarantineStrategies.PreventPull, a, cancellationToken);
        if (others > 0)
        {
            return (QuarantineStepStatus.Released, $"prevent-pull: left on in project {a.Project}, {others} other quarantined artifact(s) still need it");
        }

        var prior = await store.GetProjectPriorAsync(a.Project, cancellationToken);
        if (prior is null)
        {
            return (QuarantineStepStatus.Released, $"prevent-pull: project {a.Project} was restored already");
        }

        if (await harbor.GetProjectAsync(a.Project, cancellationToken) is null)
        {
            await store.DeleteProjectPriorAsync(a.Project, cancellationToken);
            return (QuarantineStepStatus.Gone, $"prevent-pull: project {a.Project} no longer exists");
        }

        await RestoreMetadataAsync(a.Project, HarborProjectMetadata.PreventVulnerable, prior.PreventVul, cancellationToken);
        await RestoreMetadataAsync(a.Project, HarborProjectMetadata.Severity, prior.Severity, cancellationToken);
        await harbor.UpdateProjectAsync(a.Project, new HarborProjectUpdate(null, prior.Allowlist ?? new HarborCveAllowlist(0, null, [])), cancellationToken);
        await store.DeleteProjectPriorAsync(a.Project, cancellationToken);
        return (QuarantineStepStatus.Released,
            $"prevent-pull: project {a.Project} restored to prevent_vul {prior.PreventVul ?? "(unset)"}, severity {prior.Severity ?? "(unset)"}, CVE allowlist of {prior.Allowlist?.CveIds.Count ?? 0} id(s)");
    }

    private async Task RestoreMetadataAsync(string project, string key, string? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await harbor.DeleteProjectMetadataAsync(project, key, cancellationToken);
        }
        else
        {
            await harbor.SetProjectMetadataAsync(project, key, value, cancellationToken);
        }
    }

    private async Task AlertForbiddenAsync(IPublishEndpoint publisher, ArtifactRef a, string strategy, Exception e, CancellationToken cancellationToken)
    {
        var permission = HarborPermissions.For(e);
        LogForbidden(logger, strategy, a.Project, a.Repository, a.Digest, permission);
        await publisher.Publish(new OperatorAlertRaised($"harbor-permission:{permission}", "quarantine",
            $"Harbor refused HarborBridge's {strategy} step: missing permission {permission}",
            $"Give HarborBridge's robot account '{permission}' on project {a.Project} (see docs/quarantine.md for the full list), then release or re-run the quarantine.",
            a, time.GetUtcNow()), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CVE allowlist of project {Project} written again from the policy in force: {Count} id(s)")]
    private static partial void LogAllowlistRefreshed(ILogger logger, string project, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy in dry-run: not quarantining {Project}/{Repository}@{Digest}")]
    private static partial void LogDryRun(ILogger logger, string project, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quarantine of {Project}/{Repository}@{Digest} for decision {DecisionId} is in place already; nothing changed")]
    private static partial void LogNothingToDo(ILogger logger, string project, string repository, string digest, string decisionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quarantined {Project}/{Repository}@{Digest}: {Strategies}")]
    private static partial void LogQuarantined(ILogger logger, string project, string repository, string digest, string strategies);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Project}/{Repository}@{Digest} by {Actor} ({Cause})")]
    private static partial void LogReleased(ILogger logger, string project, string repository, string digest, string actor, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor refused to create the quarantine project {QuarantineProject}, nothing quarantined for {Project}/{Repository}@{Digest}: {Problem}")]
    private static partial void LogQuarantineProjectRefused(ILogger logger, string quarantineProject, string project, string repository, string digest, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Harbor refused the {Strategy} step for {Project}/{Repository}@{Digest}: missing permission {Permission}")]
    private static partial void LogForbidden(ILogger logger, string strategy, string project, string repository, string digest, string permission);
}

/// <summary>What a release did. <see cref="Left"/> says what could not be undone (the release can be retried).</summary>
internal sealed record ReleaseOutcome(ReleaseStatus Status, IReadOnlyList<ArtifactRef> Released, IReadOnlyList<string> Restored, IReadOnlyList<string> Left);

internal enum ReleaseStatus
{
    /// <summary>HarborBridge has no record of the digest.</summary>
    Unknown,

    /// <summary>Known, but not quarantined: nothing to do.</summary>
    NotQuarantined,

    Released,

    /// <summary>Some steps could not be undone; see <see cref="ReleaseOutcome.Left"/>.</summary>
    Incomplete,
}
