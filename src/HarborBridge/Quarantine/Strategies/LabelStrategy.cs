using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Quarantine;
using HarborBridge.Persistence;

namespace HarborBridge.Quarantine.Strategies;

/// <summary><c>label</c>: attaches the policy's quarantine label (global or per project, created when missing) to the
/// artifact where it is now; the undo removes it unless it was attached before the quarantine.</summary>
internal sealed class LabelStrategy(IHarborClient harbor) : IQuarantineStrategy
{
    public string Name => QuarantineStrategies.Label;

    public async Task<AppliedStrategy> ApplyAsync(QuarantineContext context, CancellationToken cancellationToken)
    {
        var at = context.Location;
        var settings = context.Rules.Quarantine;
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
            await AttachAsync(at, id.Value, cancellationToken);
        }

        return new AppliedStrategy(JsonSerializer.Serialize(new LabelPrior(at.Project, at.Repository, id.Value, wasAttached, created), SqlQuarantineStore.Json),
            $"label: '{settings.Label}' ({(scope == "g" ? "global" : "project")} label {id}{(created ? ", created" : "")}) {(wasAttached ? "was attached already" : "attached")} on {at.Project}/{at.Repository}");
    }

    /// <summary>Attaches the label. A proxy in front of Harbor can answer 502/503 (or drop the connection) after Harbor
    /// attached it; the retry of this step would then find it attached and take it for the owner's, so it would stay
    /// after the release. Before failing, look whether it is attached now: then this call attached it.</summary>
    private async Task AttachAsync(ArtifactRef at, long labelId, CancellationToken cancellationToken)
    {
        try
        {
            await harbor.AddLabelAsync(at.Project, at.Repository, at.Digest, labelId, cancellationToken);
        }
        catch (HarborApiException e) when (e.IsTransient)
        {
            var now = await harbor.GetArtifactAsync(at.Project, at.Repository, at.Digest, cancellationToken);
            if (now?.Labels.Any(l => l.Id == labelId) != true)
            {
                throw;
            }
        }
    }

    public async Task<(string Status, string Detail)> UndoAsync(ArtifactRef a, QuarantineStep step, CancellationToken cancellationToken)
    {
        var prior = JsonSerializer.Deserialize<LabelPrior>(step.PriorJson, SqlQuarantineStore.Json)!;
        if (prior.WasAttached)
        {
            return (QuarantineStepStatus.Released, $"label: left on {prior.Project}/{prior.Repository}, it was attached before the quarantine");
        }

        var removed = await harbor.RemoveLabelAsync(prior.Project, prior.Repository, a.Digest, prior.LabelId, cancellationToken);
        return (QuarantineStepStatus.Released, removed ? $"label: removed from {prior.Project}/{prior.Repository}" : "label: was no longer attached");
    }
}
