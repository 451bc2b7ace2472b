using System.Net;
using System.Text.Json;
using Npgsql;

namespace HarborBridge.LoadDriver;

/// <summary>What one artifact ended as: decisions stored, and what the registry itself holds as its signature.</summary>
public sealed record ArtifactOutcome(PushedArtifact Artifact, IReadOnlyList<string> Verdicts, int SignatureLayers, string? State);

/// <summary>
/// Checks a burst after the fact against the registry (docker-registry directly, not through the simulator) and the
/// database: every artifact decided exactly once with the expected verdict, passed and warned artifacts carry exactly one
/// signature layer in their <c>sha256-&lt;hex&gt;.sig</c> manifest, blocked ones none.
/// </summary>
public sealed class PipelineAudit(string registry, string database, string project)
{
    public async Task<IReadOnlyList<ArtifactOutcome>> OutcomesAsync(IReadOnlyList<PushedArtifact> artifacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifacts);
        var verdicts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync(cancellationToken);
            await using (var command = new NpgsqlCommand("SELECT digest, verdict FROM decisions WHERE project = @p", connection))
            {
                command.Parameters.AddWithValue("p", project);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var digest = reader.GetString(0);
                    if (!verdicts.TryGetValue(digest, out var list))
                    {
                        verdicts[digest] = list = [];
                    }

                    list.Add(reader.GetString(1));
                }
            }

            await using (var command = new NpgsqlCommand("SELECT digest, state FROM artifacts WHERE project = @p", connection))
            {
                command.Parameters.AddWithValue("p", project);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    states[reader.GetString(0)] = reader.GetString(1);
                }
            }
        }

        using var http = Http.Client();
        var outcomes = new ArtifactOutcome[artifacts.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, artifacts.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var a = artifacts[i];
                outcomes[i] = new ArtifactOutcome(a, verdicts.GetValueOrDefault(a.Digest) ?? [], await SignatureLayersAsync(http, a, ct), states.GetValueOrDefault(a.Digest));
            });
        return outcomes;
    }

    private Task<int> SignatureLayersAsync(HttpClient http, PushedArtifact artifact, CancellationToken cancellationToken) =>
        SignatureLayersAsync(http, registry, artifact.Project, artifact.Repository, artifact.Digest, cancellationToken);

    /// <summary>Layers of the cosign signature manifest (tag <c>sha256-&lt;hex&gt;.sig</c>) read from the registry itself
    /// (<paramref name="registry"/>: host:port of docker-registry, plain HTTP); 0 when there is none.</summary>
    public static async Task<int> SignatureLayersAsync(HttpClient http, string registry, string project, string repository, string digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(digest);
        var tag = digest.Replace(':', '-') + ".sig";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{registry}/v2/{project}/{repository}/manifests/{tag}"));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return 0;
        }

        response.EnsureSuccessStatusCode();
        using var manifest = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        return manifest.RootElement.GetProperty("layers").GetArrayLength();
    }

    /// <summary>Artifacts with more than one stored decision (all with the right verdict, else they are problems). The fault
    /// tests require none: a redelivered scan request finds the scan Harbor started (or the decision) and asks nothing
    /// again, and a redelivered scan result finds its decision by id.</summary>
    public static IReadOnlyList<string> Repeats(IEnumerable<ArtifactOutcome> outcomes) =>
        [.. (outcomes ?? []).Where(o => o.Verdicts.Count > 1).Select(o => $"{o.Artifact.Repository}:{o.Artifact.Tag}: {o.Verdicts.Count} decisions")];

    /// <summary>Everything wrong with the outcomes, one line each; empty when every artifact was decided exactly once
    /// in effect: decided, never with another verdict than its report calls for, and signed exactly once (or not at all
    /// when blocked). A second decision with the same verdict is not a problem in effect (see <see cref="Repeats"/>).</summary>
    public static IReadOnlyList<string> Problems(IEnumerable<ArtifactOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var problems = new List<string>();
        foreach (var o in outcomes)
        {
            var name = $"{o.Artifact.Repository}:{o.Artifact.Tag} ({o.Artifact.Digest[..19]})";
            var expected = o.Artifact.Kind switch
            {
                ArtifactKind.Clean => "Pass",
                ArtifactKind.Warned => "Warn",
                _ => "Block",
            };
            if (o.Verdicts.Count == 0)
            {
                problems.Add($"{name}: no decision (lost)");
            }
            else if (o.Verdicts.Any(v => v != expected))
            {
                problems.Add($"{name}: decided {string.Join(", ", o.Verdicts)}, expected {expected}");
            }

            var layers = expected == "Block" ? 0 : 1;
            if (o.SignatureLayers != layers)
            {
                problems.Add($"{name}: {o.SignatureLayers} signature layers in the registry, expected {layers}");
            }
        }

        return problems;
    }
}
