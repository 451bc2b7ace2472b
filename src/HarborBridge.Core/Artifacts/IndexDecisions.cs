using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Contracts;

namespace HarborBridge.Core.Artifacts;

/// <summary>
/// A multi-platform image index is judged from all its platform manifests (Harbor scans each child and sends one
/// scan event per child): the index gets the worst child verdict and every deciding finding of every child.
/// </summary>
public static class IndexDecisions
{
    private static readonly string[] Order = ["Pass", "Warn", "Block"];

    /// <summary>The index's decision from the latest decision of each child.</summary>
    public static DecisionRecord Aggregate(ArtifactRef index, string? tag, IReadOnlyList<DecisionRecord> children, DateTimeOffset at)
    {
        ArgumentOutOfRangeException.ThrowIfZero(children.Count);
        var ordered = children.OrderBy(c => c.Artifact.Digest, StringComparer.Ordinal).ToList();
        var worst = ordered.OrderByDescending(c => Array.IndexOf(Order, c.Verdict)).ThenBy(c => c.Enforced ? 0 : 1).First();
        var enforced = worst.Verdict != "Block" || ordered.Any(c => c.Verdict == "Block" && c.Enforced);
        var findings = ordered.SelectMany(c => c.Findings).Distinct().ToList();
        var reportDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ordered.Select(c => c.ReportDigest)))));
        var decisionId = "dec-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"index|{index}|{string.Join('|', ordered.Select(c => c.DecisionId))}")))[..32];
        var reason = $"image index of {ordered.Count} platform manifests; worst is {worst.Artifact.Digest[..19]}…: {worst.Reason}";
        var detail = JsonSerializer.Serialize(new
        {
            index = index.Digest,
            verdict = worst.Verdict,
            children = ordered.Select(c => new { digest = c.Artifact.Digest, decisionId = c.DecisionId, verdict = c.Verdict, reason = c.Reason }),
        });
        return new DecisionRecord(decisionId, index, tag, worst.Verdict, enforced, worst.PolicyVersion, reportDigest, reason,
            $"decisions of {ordered.Count} platform manifests", at, findings, detail);
    }
}
