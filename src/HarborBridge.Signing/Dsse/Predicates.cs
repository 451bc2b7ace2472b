using System.Globalization;
using System.Text.Json.Nodes;
using HarborBridge.Core.Signing;

namespace HarborBridge.Signing.Dsse;

/// <summary>Scanner details for cosign's vulnerability predicate.</summary>
public sealed record VulnScanner(string Uri, string Version, string? DbUri, string? DbVersion, JsonNode? Result);

/// <summary>One policy exception that was applied when deciding.</summary>
public sealed record DecisionException(string Id, string Vulnerability, DateTimeOffset? ExpiresAt);

/// <summary>The inputs to HarborBridge's decision predicate.</summary>
public sealed record DecisionPredicate(
    string PolicyVersion,
    string ReportDigest,
    string Verdict,
    DateTimeOffset DecidedAt,
    IReadOnlyList<DecisionException> ExceptionsUsed,
    IReadOnlyList<VexStatementUsed>? VexStatementsUsed = null,
    IReadOnlyList<HarborBridge.Core.Policy.VerifiedRequirement>? UpstreamVerified = null);

/// <summary>Predicates carried in HarborBridge's attestations.</summary>
public static class Predicates
{
    /// <summary>cosign's vulnerability scan record (<c>cosign attest --type vuln</c>).</summary>
    public const string CosignVulnV1 = "https://cosign.sigstore.dev/attestation/vuln/v1";

    /// <summary>HarborBridge's policy decision: policy version, report digest, verdict, exceptions and VEX statements used.</summary>
    public const string HarborBridgeDecisionV1 = "https://harborbridge.dev/decision/v1";

    /// <summary>What <c>cosign sign</c> v3 puts in the statement of a signature bundle.</summary>
    public const string CosignSignV1 = "https://sigstore.dev/cosign/sign/v1";

    /// <summary>The vulnerability predicate of a scan HarborBridge decided on: <c>scanner.result</c> is the report as the
    /// scanner (through Harbor) produced it, <c>invocation.uri</c> where it was read, <c>invocation.event_id</c> the decision.</summary>
    public static JsonObject Vuln(ScanEvidence scan, string decisionId)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var uri = scan.ScannerName.Equals("Trivy", StringComparison.OrdinalIgnoreCase)
            ? $"pkg:github/aquasecurity/trivy@{scan.ScannerVersion}"
            : $"pkg:generic/{Uri.EscapeDataString(scan.ScannerName)}@{scan.ScannerVersion}";
        return Vuln(new VulnScanner(uri, scan.ScannerVersion, null, null, JsonNode.Parse(scan.ReportJson)),
            scan.StartedOn, scan.FinishedOn, scan.Source, decisionId);
    }

    public static JsonObject Vuln(VulnScanner scanner, DateTimeOffset scanStartedOn, DateTimeOffset scanFinishedOn, string? invocationUri = null, string? eventId = null) => new()
    {
        ["invocation"] = new JsonObject
        {
            ["parameters"] = null,
            ["uri"] = invocationUri ?? string.Empty,
            ["event_id"] = eventId ?? string.Empty,
            ["builder.id"] = string.Empty,
        },
        ["scanner"] = new JsonObject
        {
            ["uri"] = scanner.Uri,
            ["version"] = scanner.Version,
            ["db"] = new JsonObject { ["uri"] = scanner.DbUri ?? string.Empty, ["version"] = scanner.DbVersion ?? string.Empty },
            ["result"] = scanner.Result?.DeepClone(),
        },
        ["metadata"] = new JsonObject
        {
            ["scanStartedOn"] = Rfc3339(scanStartedOn),
            ["scanFinishedOn"] = Rfc3339(scanFinishedOn),
        },
    };

    public static JsonObject Decision(DecisionPredicate decision)
    {
        ImageDigest.Validate(decision.ReportDigest);
        var predicate = new JsonObject
        {
            ["policyVersion"] = decision.PolicyVersion,
            ["reportDigest"] = decision.ReportDigest,
            ["verdict"] = decision.Verdict,
            ["decidedAt"] = Rfc3339(decision.DecidedAt),
            ["exceptionsUsed"] = new JsonArray(decision.ExceptionsUsed.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = e.Id,
                ["vulnerability"] = e.Vulnerability,
                ["expiresAt"] = e.ExpiresAt is { } expires ? Rfc3339(expires) : null,
            }).ToArray()),
            ["vexStatementsUsed"] = new JsonArray((decision.VexStatementsUsed ?? []).Select(v => (JsonNode)new JsonObject
            {
                ["document"] = v.Document,
                ["documentDigest"] = v.DocumentDigest,
                ["statement"] = v.Statement,
                ["vulnerability"] = v.Vulnerability,
                ["status"] = v.Status,
                ["justification"] = v.Justification,
            }).ToArray()),
        };
        if (decision.UpstreamVerified is { Count: > 0 } upstream)
        {
            // What the trust policy required and which upstream signatures and provenance met it (verified before co-signing).
            predicate["upstreamVerified"] = new JsonArray(upstream.Select(u => (JsonNode)new JsonObject
            {
                ["requirement"] = u.Requirement,
                ["expected"] = u.Expected,
                ["verified"] = new JsonArray(u.Verified.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            }).ToArray());
        }

        return predicate;
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
