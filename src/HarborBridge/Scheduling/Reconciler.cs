using HarborBridge.Contracts;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Scheduling;
using HarborBridge.Core.Webhooks;
using HarborBridge.Harbor;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scheduling;

/// <summary>
/// Pages through Harbor's projects, repositories and the artifacts pushed since the last run (a stored watermark
/// minus an overlap) and publishes <see cref="ArtifactPushed"/> for every digest HarborBridge has no record of, so a
/// webhook Harbor dropped never leaves an artifact undecided. Opt-in: repairs each project's webhook policy and
/// scan-on-push on the way. The watermark moves only after a complete pass.
/// </summary>
internal sealed class Reconciler(
    IServiceProvider services,
    IOptions<SchedulesOptions> options,
    IScheduleStore schedule,
    WebhookRepair repair,
    TimeProvider time,
    ILogger<Reconciler> logger)
{
    public const string WatermarkName = "reconcile";

    private IHarborClient Harbor => services.GetRequiredService<IHarborClient>();

    private ReconcileOptions Settings => options.Value.Reconciliation;

    public async Task ReconcileAsync(ReconcileHarbor command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var watermark = await schedule.GetWatermarkAsync(WatermarkName, cancellationToken);
        DateTimeOffset? from = watermark is { } w ? w - Settings.Overlap : Settings.InitialLookback is { } back ? started - back : null;
        var (artifacts, announced) = (0, 0);
        await foreach (var project in ProjectsAsync(cancellationToken))
        {
            if (Settings.RepairWebhooks)
            {
                await repair.RepairAsync(project, cancellationToken);
            }

            for (var page = 1; ; page++)
            {
                var repositories = await Harbor.ListRepositoriesAsync(project, page, Settings.PageSize, cancellationToken);
                foreach (var repository in repositories.Items)
                {
                    var name = repository.FullName.StartsWith(project + "/", StringComparison.Ordinal) ? repository.FullName[(project.Length + 1)..] : repository.FullName;
                    var (seen, published) = await ReconcileRepositoryAsync(project, name, from, started, command, publisher, cancellationToken);
                    artifacts += seen;
                    announced += published;
                }

                if (!repositories.HasNextPage || repositories.Items.Count == 0)
                {
                    break;
                }
            }
        }

        await schedule.SetWatermarkAsync(WatermarkName, started, time.GetUtcNow(), cancellationToken);
        logger.LogInformation("Reconciliation since {Since}: {Artifacts} artifact(s) listed, {Announced} not seen before and announced",
            from?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "the beginning", artifacts, announced);
    }

    private async Task<(int Seen, int Published)> ReconcileRepositoryAsync(string project, string repository, DateTimeOffset? from, DateTimeOffset to,
        ReconcileHarbor command, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        var (seen, published) = (0, 0);
        for (var page = 1; ; page++)
        {
            var listed = await Harbor.ListArtifactsPushedAsync(project, repository, from, to, page, Settings.PageSize, cancellationToken);
            var known = await schedule.KnownDigestsAsync(project, repository, listed.Items.Select(a => a.Digest).ToList(), cancellationToken);
            // Attestation and SBOM manifests (tags sha256-<hex>.att/.sbom) and Sigstore bundles are listed as artifacts,
            // but the webhook endpoint ignores their pushes for good reason: deciding them would sign and announce
            // HarborBridge's own output. The same rule as at the push (tags and Harbor's media types).
            foreach (var artifact in listed.Items.Where(a => !known.Contains(a.Digest) && !WebhookLoopFilter.IsAccessory(a)))
            {
                var a = new ArtifactRef(project, repository, artifact.Digest);
                // The id is the artifact's: a later run that finds it again (before it was recorded) changes nothing.
                await publisher.Publish(new ArtifactPushed($"reconcile:{a}", a, artifact.Tags.FirstOrDefault(), null, artifact.PushTime ?? command.RequestedAt), cancellationToken);
                published++;
            }

            seen += listed.Items.Count;
            if (!listed.HasNextPage || listed.Items.Count == 0)
            {
                return (seen, published);
            }
        }
    }

    private async IAsyncEnumerable<string> ProjectsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Settings.Projects.Count > 0)
        {
            foreach (var project in Settings.Projects)
            {
                yield return project;
            }

            yield break;
        }

        for (var page = 1; ; page++)
        {
            var projects = await Harbor.ListProjectsAsync(page, Settings.PageSize, cancellationToken);
            foreach (var project in projects.Items)
            {
                yield return project.Name;
            }

            if (!projects.HasNextPage || projects.Items.Count == 0)
            {
                yield break;
            }
        }
    }
}
