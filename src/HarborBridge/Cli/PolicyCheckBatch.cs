using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.Cli;

/// <summary><c>policy check --report DIR</c>: judges every <c>*.json</c> report in a folder (recursively, in name order)
/// against one policy. stdout gets one line per report (text) or a JSON array (json); stderr shows progress at most
/// once a second and a final count. Exit 1 when any report is blocked, else 2 when any could not be read, else 0.</summary>
internal static class PolicyCheckBatch
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private sealed record Outcome(string File, string Verdict, bool Enforced, string Summary);

    public static async Task<int> RunAsync(string directory, PolicyDocument policy, PolicyInputs inputs, PolicyCheckCommand.Request request, string format,
        TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellationToken)
    {
        var files = Directory.GetFiles(directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var outcomes = new List<Outcome>(files.Count);
        var lastProgress = time.GetTimestamp();
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(await JudgeAsync(file, Path.GetRelativePath(directory, file), policy, inputs, request, time, cancellationToken));
            if (time.GetElapsedTime(lastProgress) >= ProgressInterval)
            {
                lastProgress = time.GetTimestamp();
                await error.WriteLineAsync($"policy check: {outcomes.Count}/{files.Count} reports judged ({Count(outcomes, "Block")} blocked)");
            }
        }

        if (format == "json")
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(outcomes.Select(o => new { file = o.File, verdict = o.Verdict, enforced = o.Enforced, summary = o.Summary }),
                new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var o in outcomes)
            {
                await output.WriteLineAsync($"{o.Verdict.ToUpperInvariant(),-5}  {o.File}  {o.Summary}");
            }

            await output.WriteLineAsync($"{files.Count} reports: {Count(outcomes, "Pass")} pass, {Count(outcomes, "Warn")} warn, " +
                $"{Count(outcomes, "Block")} block, {Count(outcomes, "Error")} unreadable");
        }

        await error.WriteLineAsync($"policy check: {outcomes.Count}/{files.Count} reports judged ({Count(outcomes, "Block")} blocked)");
        return outcomes.Any(o => o.Verdict == "Block" && o.Enforced) ? PolicyCheckCommand.ExitBlock
            : outcomes.Any(o => o.Verdict == "Error") ? PolicyCheckCommand.ExitBadInput
            : PolicyCheckCommand.ExitPass;
    }

    private static int Count(List<Outcome> outcomes, string verdict) => outcomes.Count(o => o.Verdict == verdict);

    private static async Task<Outcome> JudgeAsync(string path, string name, PolicyDocument policy, PolicyInputs inputs, PolicyCheckCommand.Request request,
        TimeProvider time, CancellationToken cancellationToken)
    {
        ScanReport scan;
        try
        {
            scan = ReportReader.Read(await File.ReadAllBytesAsync(path, cancellationToken));
        }
        catch (Exception e) when (e is ReportFormatException or IOException or UnauthorizedAccessException)
        {
            return new Outcome(name, "Error", false, e.Message);
        }

        var artifact = new ArtifactRef(request.Project ?? "", request.Repository ?? "", request.Digest ?? "");
        var decision = PolicyEvaluator.Evaluate(artifact, scan, policy, time.GetUtcNow(), inputs);
        var summary = $"{decision.Blocking.Count()} blocking, {decision.Warnings.Count()} warning finding(s)";
        return new Outcome(name, decision.Verdict.ToString(), decision.Enforced, decision.Enforced ? summary : summary + " (dry run)");
    }
}
