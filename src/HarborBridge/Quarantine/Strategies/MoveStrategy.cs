using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Persistence;

namespace HarborBridge.Quarantine.Strategies;

/// <summary><c>move</c>: copies the artifact to the quarantine project (<c>&lt;quarantine&gt;/&lt;project&gt;/&lt;repository&gt;</c>)
/// and deletes it from its own; the undo copies it back with its tags and deletes the quarantined copy.</summary>
internal sealed class MoveStrategy(IHarborClient harbor, QuarantineProjects quarantineProjects) : IQuarantineStrategy
{
    public string Name => QuarantineStrategies.Move;

    public async Task<AppliedStrategy> ApplyAsync(QuarantineContext context, CancellationToken cancellationToken)
    {
        var a = context.Blocked.Artifact;
        var quarantineProject = context.Rules.Quarantine.Project;
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

        await DeleteIfThereAsync(a.Project, a.Repository, a.Digest, cancellationToken);
        var created = context.QuarantineProject switch
        {
            QuarantineProjectState.Created => $"created the quarantine project {quarantineProject} (private, prevent_vul true, severity none), ",
            QuarantineProjectState.CreatedByAnother => $"quarantine project {quarantineProject} created meanwhile by another replica, ",
            _ => "",
        };
        var tags = context.Tags;
        return new AppliedStrategy(JsonSerializer.Serialize(new MovePrior(target.Project, target.Repository, tags), SqlQuarantineStore.Json),
            $"move: {created}copied to {target.Project}/{target.Repository} and deleted from {a.Project}/{a.Repository} (tags kept in the record: {(tags.Count == 0 ? "none" : string.Join(", ", tags))})",
            target);
    }

    public async Task<(string Status, string Detail)> UndoAsync(ArtifactRef a, QuarantineStep step, CancellationToken cancellationToken)
    {
        var prior = JsonSerializer.Deserialize<MovePrior>(step.PriorJson, SqlQuarantineStore.Json)!;
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
            await DeleteIfThereAsync(prior.QuarantineProject, prior.QuarantineRepository, a.Digest, cancellationToken);
        }

        var missing = prior.Tags.Except(back?.Tags ?? []).ToList();
        return (QuarantineStepStatus.Released, $"move: back in {a.Project}/{a.Repository} with tags {(prior.Tags.Count == 0 ? "(none)" : string.Join(", ", prior.Tags))}"
            + (missing.Count == 0 ? "" : $" (missing: {string.Join(", ", missing)})"));
    }

    private async Task DeleteIfThereAsync(string project, string repository, string digest, CancellationToken cancellationToken)
    {
        try
        {
            await harbor.DeleteArtifactAsync(project, repository, digest, cancellationToken);
        }
        catch (HarborApiException e) when (e.StatusCode == 404)
        {
            // Deleted already.
        }
    }
}
