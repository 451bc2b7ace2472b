using System.Text.RegularExpressions;

namespace HarborBridge.Core.Policy;

/// <summary>What an unmet <c>require</c> entry does to the verdict.</summary>
public enum RequirementAction
{
    Block,
    Warn,
}

/// <summary>
/// A keyless signer: the certificate's OIDC issuer and subject (SAN), each given exactly or as a regular expression that
/// must match the whole value, and the Sigstore trusted root (Fulcio CAs, Rekor keys) to verify the certificate with.
/// </summary>
public sealed record KeylessIdentity(string? Issuer, string? IssuerRegex, string? Subject, string? SubjectRegex, string TrustedRoot)
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public bool Matches(string issuer, string subject) =>
        Matches(Issuer, IssuerRegex, issuer) && Matches(Subject, SubjectRegex, subject);

    public string Describe() =>
        $"keyless identity {(Subject is not null ? $"'{Subject}'" : $"matching /{SubjectRegex}/")} " +
        $"from issuer {(Issuer is not null ? $"'{Issuer}'" : $"matching /{IssuerRegex}/")}";

    /// <summary>Null when <paramref name="pattern"/> is a usable regular expression, else the problem.</summary>
    public static string? CheckPattern(string pattern)
    {
        try
        {
            _ = Regex.IsMatch("", Anchored(pattern), RegexOptions.None, MatchTimeout);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private static bool Matches(string? exact, string? pattern, string value) =>
        exact is not null
            ? string.Equals(exact, value, StringComparison.Ordinal)
            : pattern is not null && Regex.IsMatch(value, Anchored(pattern), RegexOptions.None, MatchTimeout);

    // Whole-value match: cosign's --certificate-identity-regexp is unanchored, which lets "acme" match "evil-acme"; ours is not.
    private static string Anchored(string pattern) => $"^(?:{pattern})\\z";
}

/// <summary>Who must have signed: a public key (PEM file, <see cref="Key"/>) or a keyless identity.</summary>
public sealed record SignerRequirement(string? Key, KeylessIdentity? Keyless)
{
    public string Describe() => Key is not null ? $"key {Key}" : Keyless!.Describe();

    /// <summary>True when <paramref name="found"/> was verified by this signer.</summary>
    public bool IsMetBy(UpstreamItem found) =>
        Key is not null
            ? string.Equals(found.Key, Key, StringComparison.Ordinal)
            : found.Issuer is not null && found.Subject is not null &&
              string.Equals(found.TrustedRoot, Keyless!.TrustedRoot, StringComparison.Ordinal) && Keyless.Matches(found.Issuer, found.Subject);
}

/// <summary>An attestation that must be attached: its predicate type, its signer and, for SLSA provenance, the builder and
/// source repository it must name.</summary>
public sealed record AttestationRequirement(string PredicateType, SignerRequirement Signer, string? BuilderId, string? SourceRepository)
{
    public string Describe() =>
        $"a {PredicateType} attestation signed by {Signer.Describe()}" +
        (BuilderId is null ? "" : $", builder id '{BuilderId}'") +
        (SourceRepository is null ? "" : $", source repository '{SourceRepository}'");
}

/// <summary>The <c>require:</c> block of a policy scope: every listed signature and attestation must be attached and verify.</summary>
/// <param name="Action">What an unmet requirement does: <c>block</c> (default) or <c>warn</c>.</param>
public sealed record RequireRules(RequirementAction Action, IReadOnlyList<SignerRequirement> Signatures, IReadOnlyList<AttestationRequirement> Attestations)
{
    public static RequireRules None { get; } = new(RequirementAction.Block, [], []);

    public bool IsEmpty => Signatures.Count == 0 && Attestations.Count == 0;

    /// <summary>Every signer named, signatures and attestations together.</summary>
    public IEnumerable<SignerRequirement> Signers => Signatures.Concat(Attestations.Select(a => a.Signer));

    /// <summary>The same rules with relative key and trusted-root paths made absolute against <paramref name="directory"/>
    /// (the policy file's folder).</summary>
    public RequireRules RelativeTo(string directory)
    {
        SignerRequirement Resolve(SignerRequirement s) => s with
        {
            Key = s.Key is null ? null : Path.GetFullPath(s.Key, directory),
            Keyless = s.Keyless is null ? null : s.Keyless with { TrustedRoot = Path.GetFullPath(s.Keyless.TrustedRoot, directory) },
        };

        return this with
        {
            Signatures = Signatures.Select(Resolve).ToList(),
            Attestations = Attestations.Select(a => a with { Signer = Resolve(a.Signer) }).ToList(),
        };
    }
}

/// <summary>A signature or attestation attached to the artifact that verified, and with what.</summary>
/// <param name="Location">Where it was found, e.g. <c>.sig layer 0</c> or <c>bundle referrer sha256:…</c>.</param>
/// <param name="Key">The key file (as the policy names it) it verified with; null for keyless.</param>
/// <param name="TrustedRoot">Keyless: the trusted root it verified with.</param>
/// <param name="Issuer">Keyless: the certificate's OIDC issuer.</param>
/// <param name="Subject">Keyless: the certificate's subject (SAN).</param>
/// <param name="PredicateType">Attestations: the statement's predicate type; null for a signature.</param>
/// <param name="Statement">Attestations: the in-toto statement (JSON).</param>
public sealed record UpstreamItem(
    string Location, string? Key, string? TrustedRoot, string? Issuer, string? Subject, string? PredicateType, byte[]? Statement)
{
    public bool IsAttestation => PredicateType is not null;

    public string Signer => Key is not null ? $"key {Key}" : $"'{Subject}' from '{Issuer}'";

    public string Describe() => (IsAttestation ? $"{PredicateType} attestation" : "signature") + $" ({Location}) by {Signer}";
}

/// <summary>What was found attached to an artifact: what verified with the policy's signers, and what did not (with why).</summary>
/// <param name="Problem">Set when the evidence could not be gathered at all (e.g. a key file cannot be read).</param>
public sealed record UpstreamEvidence(IReadOnlyList<UpstreamItem> Verified, IReadOnlyList<string> Rejected, string? Problem = null)
{
    public static UpstreamEvidence Unavailable(string problem) => new([], [], problem);
}

/// <summary>Gathers and verifies the signatures and attestations already attached to an artifact (cosign <c>.sig</c> and
/// <c>.att</c>, Sigstore bundle referrers) with the signers the requirements name.</summary>
public interface IUpstreamEvidence
{
    Task<UpstreamEvidence> CollectAsync(HarborBridge.Contracts.ArtifactRef artifact, RequireRules rules, CancellationToken cancellationToken);
}

/// <summary>One <c>require</c> entry and whether it was met: what was expected, what was found.</summary>
/// <param name="Requirement">Its place in the policy, e.g. <c>require.signatures[0]</c>.</param>
/// <param name="Verified">The items that met it (location and signer), for the decision attestation.</param>
public sealed record RequirementResult(string Requirement, bool Met, RequirementAction Action, string Expected, string Found, IReadOnlyList<string> Verified)
{
    public string Explain() => $"{Requirement}: expected {Expected}; found {Found}";
}

/// <summary>A met requirement as the decision attestation records it: what was required and which signatures or attestations met it.</summary>
public sealed record VerifiedRequirement(string Requirement, string Expected, IReadOnlyList<string> Verified)
{
    /// <summary>The met requirements in a stored decision's JSON (<see cref="DecisionRenderer.ToJson"/>); empty when it has none.</summary>
    public static IReadOnlyList<VerifiedRequirement> FromDecisionJson(string decisionJson)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(decisionJson);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("requirements", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return [];
            }

            return list.EnumerateArray()
                .Where(r => r.TryGetProperty("met", out var met) && met.ValueKind == System.Text.Json.JsonValueKind.True)
                .Select(r => new VerifiedRequirement(r.GetProperty("requirement").GetString() ?? "", r.GetProperty("expected").GetString() ?? "",
                    r.GetProperty("verified").EnumerateArray().Select(v => v.GetString() ?? "").ToList()))
                .ToList();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return [];
        }
    }
}

/// <summary>Judges the <c>require</c> rules against the evidence gathered. Pure.</summary>
public static class RequirementEvaluator
{
    public static IReadOnlyList<RequirementResult> Evaluate(RequireRules rules, UpstreamEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(evidence);
        var results = new List<RequirementResult>();
        for (var i = 0; i < rules.Signatures.Count; i++)
        {
            var signer = rules.Signatures[i];
            var met = evidence.Verified.Where(v => !v.IsAttestation && signer.IsMetBy(v)).ToList();
            results.Add(new RequirementResult($"require.signatures[{i}]", met.Count > 0, rules.Action, $"a signature by {signer.Describe()}",
                met.Count > 0 ? string.Join("; ", met.Select(m => m.Describe())) : Found(evidence, v => !v.IsAttestation), Describe(met)));
        }

        for (var i = 0; i < rules.Attestations.Count; i++)
        {
            var required = rules.Attestations[i];
            var candidates = evidence.Verified.Where(v => v.PredicateType == required.PredicateType && required.Signer.IsMetBy(v)).ToList();
            var problems = new List<string>();
            var met = new List<UpstreamItem>();
            foreach (var candidate in candidates)
            {
                if (SlsaProvenance.Check(candidate.Statement, required) is { } problem)
                {
                    problems.Add($"{candidate.Describe()}: {problem}");
                }
                else
                {
                    met.Add(candidate);
                }
            }

            var found = met.Count > 0 ? string.Join("; ", met.Select(m => m.Describe()))
                : problems.Count > 0 ? string.Join("; ", problems)
                : Found(evidence, v => v.IsAttestation);
            results.Add(new RequirementResult($"require.attestations[{i}]", met.Count > 0, rules.Action, required.Describe(), found, Describe(met)));
        }

        return results;
    }

    private static List<string> Describe(List<UpstreamItem> items) => items.Select(m => m.Describe()).ToList();

    // What there is instead: the verified items of the kind (by other signers) and every rejected one, or nothing at all.
    private static string Found(UpstreamEvidence evidence, Func<UpstreamItem, bool> kind)
    {
        if (evidence.Problem is { } problem)
        {
            return problem;
        }

        var parts = evidence.Verified.Where(kind).Select(v => v.Describe()).Concat(evidence.Rejected).ToList();
        return parts.Count == 0 ? "no signatures or attestations attached" : string.Join("; ", parts);
    }
}
