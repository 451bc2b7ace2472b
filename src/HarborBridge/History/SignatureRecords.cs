using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Artifacts;
using HarborBridge.Core.Signing;

namespace HarborBridge.History;

/// <summary>A signature HarborBridge wrote, as the dashboard and <c>GET /api/v1/artifacts/{digest}</c> show it.</summary>
/// <param name="Format"><c>legacy</c> (cosign v2 <c>.sig</c> tag) or <c>bundle</c> (Sigstore bundle v0.3 referrer).</param>
/// <param name="Digest">The digest of the signature manifest (the <c>.sig</c> manifest or the bundle referrer).</param>
/// <param name="KeyId">base64 SHA-256 of the public key (cosign's key hint).</param>
internal sealed record SignatureView(string Project, string Repository, string Format, string Digest, string KeyId, string DecisionId, DateTimeOffset SignedAt);

/// <summary>Signatures are kept in the artifact history as one event per signature manifest (no table of their own):
/// the event id names the manifest, so a redelivered or repeated signing adds nothing and the first time stays.</summary>
internal static class SignatureRecords
{
    public const string EventType = "HARBORBRIDGE_SIGNED";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ArtifactEvent ToEvent(ArtifactRef artifact, ArtifactSignature signature, WrittenSignature written, string decisionId, DateTimeOffset at) =>
        new($"signed:{artifact.Project}/{artifact.Repository}@{artifact.Digest}:{written.ManifestDigest}", EventType,
            artifact.Project, artifact.Repository, artifact.Digest, Tag: null, Operator: "harborbridge", at,
            JsonSerializer.Serialize(new Details(written.Format, written.ManifestDigest, signature.KeyId, decisionId), Json));

    /// <summary>The signatures among an artifact's events, oldest first.</summary>
    public static IReadOnlyList<SignatureView> From(IEnumerable<ArtifactEvent> events) =>
        [.. events.Where(e => e.EventType == EventType && e.Details is not null)
            .Select(e => (Event: e, Details: JsonSerializer.Deserialize<Details>(e.Details!, Json)!))
            .Select(x => new SignatureView(x.Event.Project ?? "", x.Event.Repository ?? "", x.Details.Format, x.Details.Digest, x.Details.KeyId,
                x.Details.DecisionId, x.Event.OccurredAt))];

    private sealed record Details(string Format, string Digest, string KeyId, string DecisionId);
}
